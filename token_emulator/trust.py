"""How a client of the emulator trusts its HTTPS (`serve --tls`): a context trusting the
local authority's certificate file, and one taking any certificate, for the two
callers that must not check (waiting for health, fetching what to trust).

The standard library only: the image's HEALTHCHECK and the QA commands use it.
"""

from __future__ import annotations

import os
import ssl


class UntrustedFile(ValueError):
    """A file of certificates to trust that cannot be read as one; the message names it."""


def trusting(ca_file: str | os.PathLike[str], named: str = "the CA file") -> ssl.SSLContext:
    """A client context that trusts the certificates in `ca_file` (the emulator's
    ca.pem); UntrustedFile, naming it as `named` says, when it cannot be read."""
    try:
        return ssl.create_default_context(cafile=os.fspath(ca_file))
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or error
        raise UntrustedFile(
            f"{named} {os.fspath(ca_file)} cannot be read as PEM certificates: {reason}"
        ) from None


def any_certificate() -> ssl.SSLContext:
    """A client context that takes any certificate for any name: for asking a server
    whether it is up, or for fetching the certificate one is about to trust."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
