"""cidhub: a CID-keyed AI asset hub on Ethereum and IPFS.

The package is layered; imports only point down (import-linter checks it in `make test`):

- :mod:`cidhub.cli`, :mod:`cidhub.demo`, :mod:`cidhub.output`, :mod:`cidhub.bench`: the top;
- :mod:`cidhub.compute` and :mod:`cidhub.publish` (with :mod:`cidhub.journal`): the flows;
- :mod:`cidhub.ipfs` and :mod:`cidhub.chain`: transport and contracts, independent of each other;
- :mod:`cidhub.content`: bytes to CIDs;
- :mod:`cidhub.errors`: the exception types every layer raises.

This file stays empty of logic so importing ``cidhub`` is cheap.
"""

__version__ = "0.1.0"
