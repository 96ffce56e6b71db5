# Asterisk 22 from Debian sid, configured by the project's templates.
FROM debian:sid-slim
# The asterisk user and group with fixed ids (2000): the tryton image's
# tvcc user (the bridge) is in that group and reads Asterisk's logs and
# recordings on the shared volume. The package's postinst keeps them.
RUN groupadd --system --gid 2000 asterisk \
    && useradd --system --uid 2000 --gid asterisk --no-create-home \
        --home-dir /var/lib/asterisk --shell /usr/sbin/nologin asterisk
RUN apt-get update \
    && apt-get install -y --no-install-recommends asterisk \
        asterisk-core-sounds-en-gsm asterisk-moh-opsound-gsm python3 openssl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/tvcc
COPY asterisk asterisk
COPY tvcc/__init__.py tvcc/settings.py tvcc/
# The Debian package creates the asterisk user; runtime.py render gives it
# the spool, logs and database and keeps the configuration root's (read by
# its group). Asterisk drops root right after start: -U/-G.
ENTRYPOINT ["sh", "-c", "python3 asterisk/runtime.py render -i run && exec asterisk -C /srv/tvcc/run/etc/asterisk.conf -f -U asterisk -G asterisk"]
