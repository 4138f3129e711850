FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    FLICKER_DB=/data/flicker.db MPLCONFIGDIR=/var/cache/flicker/matplotlib

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY rules ./rules
COPY migrations ./migrations
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /app flicker \
    && mkdir -p /data /var/cache/flicker/matplotlib \
    && chown flicker /data /var/cache/flicker /var/cache/flicker/matplotlib \
    && chmod 700 /data /var/cache/flicker /var/cache/flicker/matplotlib

USER flicker
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["flicker", "health"]
CMD ["flicker", "run"]
