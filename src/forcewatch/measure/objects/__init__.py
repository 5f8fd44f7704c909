"""ForceWatch measure objects layer."""
