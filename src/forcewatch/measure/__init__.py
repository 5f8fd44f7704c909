"""ForceWatch measure layer."""
