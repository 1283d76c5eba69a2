# The prebell controller image. Multi-stage: the build stage runs exactly
# the README's build steps (scripts/install-deps.sh, then the Release preset)
# on Debian 12; the runtime stage carries the binary, the shared libraries
# it links and the tz database, and runs as a non-root user.
# (No Docker engine runs on the project's build machines, so this file is
# kept in step with scripts/install-deps.sh and CMakePresets.json by review,
# not by a build.)
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh \
 && cmake --preset release -DPREBELL_BENCH=OFF \
 && cmake --build --preset release --target prebell \
 && install -D build/release/controller/main/prebell /out/usr/local/bin/prebell

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libcpprest2.10 libprometheus-cpp-core1.0 libcivetweb1 libyaml-cpp0.7 libssl3 \
      libical3 libdate-tz3 libicu72 libspdlog1.10 libfmt9 tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 65532 --no-create-home --shell /usr/sbin/nologin prebell
COPY --from=build /out/ /
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/prebell"]
CMD ["run", "--log-format=json"]
