"""``python -m tco_bridge.cli <command>``: how ``tco-bridge run`` starts its processes."""

from . import main

if __name__ == "__main__":
    main()
