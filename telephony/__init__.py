"""The telephony bridge: the one place that talks to Asterisk.

It owns the AMI connection (events in, actions out) and serves FastAGI (call
routing), reading and writing the Tryton database. Business decisions are
plain functions the tests call without Asterisk.
"""
