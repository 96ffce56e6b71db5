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
    && cp /opt/tvcc/web/custom.js /opt/tvcc/web/custom.css .
# The bridge's state (its SIP bans, kept across restarts): the volume
# mounted here takes this owner and mode.
RUN mkdir -p /var/lib/tvcc-bridge && chown nobody:nogroup /var/lib/tvcc-bridge \
    && chmod 700 /var/lib/tvcc-bridge
USER nobody
