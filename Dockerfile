# The fake authorization server as a container, the way mock authorization servers are usually
# run beside an app in docker compose:
#
#   docker build -t oauth-fake-server .
#   docker run --rm -p 9090:9090 oauth-fake-server
#
# The issuer is http://127.0.0.1:9090 unless FAKE_OAUTH_ISSUER says otherwise: set it to the
# URL the app reaches the server at (http://auth:9090 in a compose network, or a published
# port). Every flag has an environment variable (oauth-fake-server --help): FAKE_OAUTH_FIXTURES
# with a mounted file, FAKE_OAUTH_FAULTS, FAKE_OAUTH_VARIANTS, FAKE_OAUTH_ADMIN_KEY, ...

FROM rust:1-bookworm AS build
WORKDIR /src
# The workspace manifests and what the fake server embeds; the lock file pins every crate.
COPY Cargo.toml Cargo.lock ./
COPY fake-server fake-server
COPY harness harness
COPY bench/tools bench/tools
COPY suites suites
COPY fixtures fixtures
RUN cargo build --release --locked -p fake-server --bin oauth-fake-server \
 && cp target/release/oauth-fake-server /oauth-fake-server

FROM debian:bookworm-slim
# CA certificates: client ID metadata documents are fetched over https.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /oauth-fake-server /usr/local/bin/oauth-fake-server
# Listen on every interface of the container; port 9090 unless FAKE_OAUTH_PORT changes it.
ENV FAKE_OAUTH_HOST=0.0.0.0 \
    FAKE_OAUTH_PORT=9090
EXPOSE 9090
USER 65534:65534
ENTRYPOINT ["oauth-fake-server"]
