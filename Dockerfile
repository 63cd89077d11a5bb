# paperwire for `compose.yaml` (Scaling out): one image for the web hosts and the worker.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
# The Milvus client (extra `milvus`) comes with the Milvus backend; postgres: the store's driver.
RUN pip install --no-cache-dir '.[postgres]' && (pip install --no-cache-dir '.[milvus]' || true)
RUN useradd --create-home paperwire
USER paperwire
ENV PAPERWIRE_HOME=/home/paperwire/data
EXPOSE 8000
CMD ["paperwire", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-index-update"]
