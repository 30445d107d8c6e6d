import sys

from landscape_proofs.cli.main import main

sys.exit(main())
