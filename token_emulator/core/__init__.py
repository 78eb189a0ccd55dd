"""What every vendor shares. Nothing in here imports a vendor."""
