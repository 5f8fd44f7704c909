"""ForceWatch store layer."""
