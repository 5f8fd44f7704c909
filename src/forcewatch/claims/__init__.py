"""ForceWatch claims layer."""
