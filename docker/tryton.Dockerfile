# trytond with the tvcc modules, the sao web client and the telephony bridge.
FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm espeak-ng sox \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/tvcc
COPY pyproject.toml README.md ./
COPY modules modules
COPY tvcc tvcc
COPY telephony telephony
COPY web web
RUN pip install --no-cache-dir .
RUN mkdir -p /var/lib/trytond /opt/sao && cd /opt/sao \
    && npm pack tryton-sao@8.0 && tar xzf tryton-sao-*.tgz && rm *.tgz \
    && cd package && npm install --omit=dev --legacy-peer-deps \
    && cp /opt/tvcc/web/custom.js /opt/tvcc/web/custom.css \
        /opt/tvcc/web/softphone.js /opt/tvcc/web/dial.js \
        /opt/tvcc/web/callcontrol.js . \
    && python -c "from pathlib import Path; from tvcc.bootstrap import \
install_jssip; install_jssip(Path('/opt/sao/package'))"
# Every process of this image runs as tvcc (uid 2001), in the group
# asterisk (gid 2000, the Asterisk image's): the bridge writes the
# configuration Asterisk reads (etc/tvcc, prompts: runtime.py render gives
# them to TVCC_BRIDGE_UID) and reads its logs and recordings on the shared
# volume. The secrets this image reads (pgpass, AMI secret, FastAGI token)
# must be the host's files of uid 2001 (see docker-compose.yml).
RUN groupadd --gid 2000 asterisk && groupadd --gid 2001 tvcc \
    && useradd --uid 2001 --gid tvcc --groups asterisk --no-create-home \
        --home-dir /var/lib/trytond --shell /usr/sbin/nologin tvcc
# The filestore and the bridge's state (its SIP bans, kept across
# restarts): the named volumes mounted here take this owner and mode.
RUN mkdir -p /var/lib/tvcc-bridge \
    && chown tvcc:tvcc /var/lib/trytond /var/lib/tvcc-bridge \
    && chmod 700 /var/lib/trytond /var/lib/tvcc-bridge
USER tvcc
