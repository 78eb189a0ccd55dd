"""`ca`: the certificate a client trusts to talk to an emulator under `serve --tls`.

    token-emulator ca --url https://127.0.0.1:8443 > emulator-ca.pem
    curl --cacert emulator-ca.pem https://127.0.0.1:8443/_emulator/health

It asks `GET /_emulator/ca.pem` without verifying the server (it is asking what to
trust), unless --ca-file names an authority already trusted; its SHA-256
fingerprint goes to stderr, to compare with the one `serve` logged at start when
the emulator is reached over a network you do not control.
"""

from __future__ import annotations

import argparse
import ssl
import sys
from dataclasses import replace
from pathlib import Path

from token_emulator.qa.options import remote_options
from token_emulator.qa.remote import Target


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str
) -> None:
    parser = commands.add_parser(
        name,
        parents=[remote_options()],
        help=help,
        description="Prints the certificate (PEM) of the local authority that signed the "
        "running emulator's HTTPS certificate; its SHA-256 fingerprint goes to stderr. "
        "Exits 1 when the emulator has none (plain HTTP, or a certificate of your own).",
    )
    parser.add_argument("--out", type=Path, help="write it to this file instead of stdout")
    parser.set_defaults(handler=_ca)


def _unverified() -> ssl.SSLContext:
    """Trust on first use: any certificate, any name (this command fetches the trust)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _ca(args: argparse.Namespace) -> int:
    from token_emulator.certificates import sha256_fingerprint

    target = Target.from_args(args)
    if target.ca_file is None and target.url.lower().startswith("https:"):
        target = replace(target, ca_file=_unverified())
    with target.client() as emulator:
        pem = emulator.ca_certificate()
    if args.out is not None:
        args.out.write_text(pem)
    else:
        sys.stdout.write(pem)
    print(f"SHA-256 fingerprint {sha256_fingerprint(pem.encode())}", file=sys.stderr)
    return 0
