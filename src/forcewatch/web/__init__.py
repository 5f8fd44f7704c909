"""ForceWatch web layer."""
