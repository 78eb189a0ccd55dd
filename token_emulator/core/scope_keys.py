"""What the request path (token_emulator/request_path/) writes into a request's ASGI
scope for the layers and handlers after it: one name per fact, read where needed."""

# The emulator-clock instant of the request, read once on the way in (journaling.py).
NOW_KEY = "token_emulator.now"
# The vendor the path names (None: the control plane, or no vendor).
VENDOR_KEY = "token_emulator.vendor"
# Why the request was refused: the journal's reason and the x-emulator-reason header.
REASON_KEY = "token_emulator.reason"
# How many faults were armed when the request came in (0: the fault gate is skipped).
ARMED_KEY = "token_emulator.faults_armed"
# The id of the fault that acted on the request.
FORCED_KEY = "token_emulator.forced"
# No answer was sent: the connection was closed (a fault, or the body limit).
DROPPED_KEY = "token_emulator.dropped"
# The server's own `send`, before any middleware wrapped it: a dropped-connection fault
# reaches the server's transport through it (adapters/uvicorn.py).
RAW_SEND_KEY = "token_emulator.raw_send"
# A control call refused by a guard (another site's page, a foreign Host, no admin
# token): journaled like a vendor request, where control calls are only logged.
CONTROL_REFUSED_KEY = "token_emulator.control_refused"
