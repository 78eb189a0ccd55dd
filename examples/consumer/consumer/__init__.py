"""An example service calling two vendors at base URLs from its environment."""
