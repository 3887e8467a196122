"""The organization as a whole: its view, its sharing settings and enablements, its sandboxes."""
