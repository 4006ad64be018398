"""The deployed suite and each contract's off-chain counterpart.

:mod:`~cidhub.chain.deployment` (the deployments file), :mod:`~cidhub.chain.deploy` (deploying the
suite and handing it to the DAO), :mod:`~cidhub.chain.registry` (asset records and ids),
:mod:`~cidhub.chain.provenance`, :mod:`~cidhub.chain.assets` (reading assets back),
:mod:`~cidhub.chain.market` and :mod:`~cidhub.chain.revenue` (sales and how their money is split),
:mod:`~cidhub.chain.governance` and :mod:`~cidhub.chain.proposals` (the DAO).

Built on :mod:`cidhub.content`; knows nothing of IPFS transport (an import-linter contract says so).
"""
