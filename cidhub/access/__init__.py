"""Private assets: an access service that streams plaintext to licence holders who signed in.

* :mod:`cidhub.access.auth`: Sign-In with Ethereum (EIP-4361) nonces, checks and sessions;
* :mod:`cidhub.access.service`: the ``/access/v1`` routes (licence check, keystore, decryption);
* :mod:`cidhub.access.http`: the service on the embedded node's server (``cidhub node --access``);
* :mod:`cidhub.access.client`: the buyer's side (``cidhub get``).

The sealed format is :mod:`cidhub.content.sealed`, the keystore :mod:`cidhub.content.keystore`,
the chain check :mod:`cidhub.chain.licences`. The README's "Private assets" section has the
threat model.
"""
