"""Protocol logic: each RFC state is a class that reaches the world only through Output."""
