"""ForceWatch imagery layer."""
