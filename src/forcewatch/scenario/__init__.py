"""ForceWatch scenario layer."""
