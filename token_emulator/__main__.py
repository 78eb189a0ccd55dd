from token_emulator.cli import main

raise SystemExit(main())
