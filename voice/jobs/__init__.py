"""Work outside a request: mail, reminders, the digest, exports, purges and checks.

``service`` holds each job as plain Python (explicit inputs, one pass); ``tasks`` wraps
them for the Huey job engine (the worker started beside the web server), and the
`flask voice ...` commands run the same passes at once.
"""
