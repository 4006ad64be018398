"""Off-chain compute: jobs, their EIP-712 hashing and signing (:mod:`~cidhub.compute.jobs`), the
deterministic runner (:mod:`~cidhub.compute.runner`), and submitting, claiming and challenging them
on-chain (:mod:`~cidhub.compute.onchain`).

Sits above :mod:`cidhub.content`, :mod:`cidhub.ipfs` and :mod:`cidhub.chain`.
"""
