"""`python -m localrun.openapi` (make openapi): regenerate docs/openapi.json and the served copy."""

from localrun.openapi import write

if __name__ == "__main__":
    changed = write()
    print("\n".join(f"wrote {p}" for p in changed) or "docs/openapi.json is up to date")
