"""`ca`: the certificate a client trusts to talk to an emulator under `serve --tls`.

    token-emulator ca --url https://127.0.0.1:8443 -o emulator-ca.pem
    curl --cacert emulator-ca.pem https://127.0.0.1:8443/_emulator/health

It asks `GET /_emulator/ca.pem` (open, so no admin token is sent) without
verifying the server, since it is asking what to trust, unless --ca-file names an
authority already trusted; then it asks again trusting what it was given, so an
answer that does not sign the server's own certificate is refused. The SHA-256
fingerprint goes to stderr, to compare with the one `serve` logged at start when
the emulator is reached over a network you do not control.
"""

from __future__ import annotations

import argparse
import ssl
import sys
from dataclasses import replace
from pathlib import Path

from token_emulator.exit_codes import REFUSED, fail
from token_emulator.qa.options import remote_options
from token_emulator.qa.output import deliver
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
    parser.add_argument("--output", "-o", type=Path, help="write it to this file instead of stdout")
    parser.set_defaults(handler=_ca)


def _ca(args: argparse.Namespace) -> int:
    from token_emulator.certificates import certificates_in, sha256_fingerprint
    from token_emulator.client import EmulatorUnreachable
    from token_emulator.trust import any_certificate

    # The admin token stays home (the call is open), and EMULATOR_CA_FILE is not read:
    # a stale one would refuse the very server whose authority is being fetched.
    target = replace(Target.from_args(args, ca_file_from_env=False), admin_token=None)
    if getattr(args, "ca_file", None) is None:
        trust = any_certificate() if target.url.lower().startswith("https:") else None
        target = replace(target, ca_file=trust)
    with target.client() as emulator:
        answer = emulator.ca_certificate()
    pem = certificates_in(answer.encode("utf-8", "replace"))
    if pem is None:
        return fail(f"{target.url} answered something that is not a PEM certificate", REFUSED)
    if target.url.lower().startswith("https:"):
        # Trust on first use, checked: the server's own certificate must come from it.
        given = ssl.create_default_context(cadata=pem.decode("ascii"))
        try:
            with replace(target, ca_file=given).client() as check:
                check.health()
        except EmulatorUnreachable as error:
            return fail(
                f"the certificate {target.url} serves is not signed by the authority it "
                f"gave at /_emulator/ca.pem (something in between?): {error}",
                REFUSED,
            )
    deliver(pem.decode("ascii"), args.output)
    print(f"SHA-256 fingerprint {sha256_fingerprint(pem)}", file=sys.stderr)
    return 0
