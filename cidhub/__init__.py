"""cidhub: a CID-keyed AI asset hub on Ethereum and IPFS.

The CID engine lives in submodules with one job each: :mod:`cidhub.cid` (parse and print
CIDs), :mod:`cidhub.unixfs` (compute UnixFS CIDs under named profiles), :mod:`cidhub.car`
(write and verify CAR files), :mod:`cidhub.store` (local block store and pin targets) and
:mod:`cidhub.cli` (the ``cidhub`` command). Import from those modules directly; this package
file stays empty of logic so importing ``cidhub`` is cheap.
"""

__version__ = "0.1.0"
