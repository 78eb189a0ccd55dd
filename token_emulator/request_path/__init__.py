"""The path every request takes, one layer per module, assembled by the app factory
(token_emulator/app.py), outermost first:

1. journaling.py: the emulator clock read once (vendor requests); on the way out,
   the journal entry and the log line.
2. guard.py: a Host the emulator does not answer to (DNS rebinding), and a
   state-changing control call from another site's page, refused 403.
3. body_limit.py: a body over the limit answered 413 in the shape of the vendor
   asked, unread.
4. dispatch.py: a vendor request straight to the vendor's mount; anything else
   to Starlette's router (the control plane, behind its admin token).
5. Per vendor mount: cors.py where the vendor's clients run in browsers, then
   vendor_shell.py (404 and 405 in the vendor's shape), mount_point.py (what the
   mount point tells the handlers), the vendor's router.
6. vendor_route.py, per route: the faults aimed at it, the handler, a refusal
   rendered in the route's shape.

What each layer writes into the scope for the next is named in
core/scope_keys.py.
"""
