# The `causeway` binary in a small image; docker-compose.yml runs every component from it.
# The Rollup contract's ABI and bytecode are compiled into the binary (l1/src/lib.rs), so the
# image needs neither node nor solc.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p causeway-cli

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/causeway /usr/local/bin/causeway
ENTRYPOINT ["causeway"]
