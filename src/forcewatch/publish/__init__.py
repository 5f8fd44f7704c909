"""ForceWatch publish layer."""
