# corral — the two commands a newcomer needs are `make serve` and `make test`.
# Everything else here is a thin wrapper around scripts/ and meson.

BUILD   ?= build
ASAN    ?= build-asan
MESON   ?= meson
NINJA   ?= ninja

.PHONY: all deps build asan test test-asan serve bench clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	@$(MESON) setup $(BUILD) --buildtype=debugoptimized >/dev/null

build: deps $(BUILD)/build.ninja
	@$(NINJA) -C $(BUILD) >/dev/null || $(NINJA) -C $(BUILD)

$(ASAN)/build.ninja:
	@$(MESON) setup $(ASAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

asan: deps $(ASAN)/build.ninja
	@$(NINJA) -C $(ASAN) >/dev/null || $(NINJA) -C $(ASAN)

# Every test, on the normal build and then on the ASan/UBSan build.
test: build asan
	@scripts/run-tests.sh $(BUILD)
	@CORRAL_SANITIZED=1 scripts/run-tests.sh $(ASAN)

serve: build
	$(BUILD)/corral serve --listen 127.0.0.1:8080

bench: build
	@scripts/run-bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN)
