# Asterisk 22 from Debian sid, configured by the project's templates.
FROM debian:sid-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends asterisk \
        asterisk-core-sounds-en-gsm asterisk-moh-opsound-gsm python3 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/tvcc
COPY asterisk asterisk
COPY tvcc/__init__.py tvcc/settings.py tvcc/
# The Debian package creates the asterisk user; runtime.py render gives it
# the spool, logs and database and keeps the configuration root's (read by
# its group). Asterisk drops root right after start: -U/-G.
ENTRYPOINT ["sh", "-c", "python3 asterisk/runtime.py render -i run && exec asterisk -C /srv/tvcc/run/etc/asterisk.conf -f -U asterisk -G asterisk"]
