# make bench, make bench-deps: what each namespace costs, and lesson 07's
# container against util-linux unshare, bwrap and crun. Included by the
# GNUmakefile; uses its $(O), $(CC), $(WARNINGS), $(CFLAGS), $(ROOTFS).
#
# The whole run is inside a network namespace made for it (unshare --net),
# so every veth and network namespace it creates is private, and crun's
# workaround for hybrid cgroups lives in a mount namespace of its own.

BENCH_DEBS  := bubblewrap crun hyperfine gnuplot-nox
BENCH_DIR   := $(O)/bench
NSBENCH     := $(BENCH_DIR)/nsbench
BENCH_RUNS  ?= 60
BENCH_ITERS ?= 200
# interleaved (rounds of every row once), or hyperfine (a row's runs in a block)
BENCH_TOOL  ?= interleaved
CONTAINER_BIN := $(call bin,07-container,solutions)
# What the default's sized memory-backed mounts cost at start: the same
# container without a size on its writable layer, or on /dev/shm (the
# wrong variants that drop each size: tmpfs size=0 is no limit).
BENCH_VARIANTS := $(call wrong_bin,07-container/layer_unbounded) \
		  $(call wrong_bin,07-container/shm_unbounded)
BENCH_VARIANT_ROWS := "no layer size=$(word 1,$(BENCH_VARIANTS))" \
		      "no /dev/shm size=$(word 2,$(BENCH_VARIANTS))"
# Lesson 11's runtime beside runc (tools/bench/oci), in the same run.
OCI_BIN       := $(call bin,11-oci,solutions)

$(NSBENCH): tools/bench/nsbench.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WARNINGS) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< -lm

.PHONY: bench bench-deps bench-plot
bench: $(NSBENCH) $(CONTAINER_BIN) $(BENCH_VARIANTS) $(OCI_BIN) $(ROOTFS)/bin/busybox
	@tools/need-root "make bench"
	@mkdir -p $(BENCH_DIR)
	$(Q){ \
	  echo "nslab bench: $$(date -u '+%Y-%m-%d %H:%M UTC'), kernel $$(uname -r), $$(nproc) CPUs, $$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), load average $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	  echo; \
	  unshare --net $(NSBENCH) -n $(BENCH_ITERS) -o $(BENCH_DIR)/inprocess.tsv $(ROOTFS) && \
	  echo && \
	  NSLAB_BENCH_TOOL=$(BENCH_TOOL) tools/bench/compare $(CONTAINER_BIN) $(ROOTFS) $(BENCH_DIR) $(NSBENCH) $(BENCH_RUNS) \
	    $(BENCH_VARIANT_ROWS) && \
	  echo && \
	  tools/bench/oci $(OCI_BIN) $(ROOTFS) $(BENCH_DIR) $(BENCH_RUNS); \
	  echo $$? >$(BENCH_DIR)/status; \
	} 2>&1 | tee $(BENCH_DIR)/output.txt; exit $$(cat $(BENCH_DIR)/status)
	$(Q)if command -v gnuplot >/dev/null; then \
	  tools/bench/plot $(BENCH_DIR) && echo "  PLOT    $(BENCH_DIR)/bench.svg"; \
	else echo "  (gnuplot not installed: no plot; sudo make bench-deps)"; fi
	@echo "  (the whole run is in $(BENCH_DIR)/output.txt)"

# The plot alone, from the numbers of the last make bench.
bench-plot:
	$(Q)tools/bench/plot $(BENCH_DIR)
	@echo "  PLOT    $(BENCH_DIR)/bench.svg"

bench-deps:
	$(Q)tools/deps $(BENCH_DEBS)

# Maintainers: make the numbers of the last make bench the reference that
# lessons/bench/README.adoc shows (then set its :bench-date:).
.PHONY: bench-save
bench-save:
	$(Q)set -e; d=lessons/bench; \
	grep -v -e '^teardown' -e '^netns' $(BENCH_DIR)/inprocess.tsv >$$d/bench-inprocess.tsv; \
	{ printf 'namespace\tmedian_ms\tmin_ms\tmax_ms\trefused_clones\n'; \
	  sed -n 's/^teardown //p' $(BENCH_DIR)/inprocess.tsv; } >$$d/bench-teardown.tsv; \
	cp $(BENCH_DIR)/compare.tsv $$d/bench-compare.tsv; \
	cp $(BENCH_DIR)/bench.svg $$d/bench.svg; \
	cp $(BENCH_DIR)/output.txt $$d/bench-output.txt; \
	echo "  SAVE    $$d/bench-*.tsv $$d/bench.svg"
