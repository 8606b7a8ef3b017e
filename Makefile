# fangzhi -- full-text search for Chinese local gazetteers and yearbooks.
#
#   make            build bin/fzindex and bin/fzsearch
#   make demo       install build dependencies, build, index corpus/, search 井长制
#   make test       install dependencies, build, run every test (also under ASan+UBSan)
#   make eval       ranking quality (MRR, nDCG@10) on the judged query set
#   make bench      benchmark against SQLite FTS5 and Xapian (bench/)
#   make bench-serve  the reading room under load (bench/serve)
#   make fuzz       run the libFuzzer targets (FUZZ_SECONDS each, or FUZZ_RUNS
#                   inputs each from a fixed seed)
#   make valgrind   end-to-end tests under valgrind
#   make install    PREFIX=/usr/local DESTDIR=

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
PKGS     := icu-uc icu-i18n lmdb libxxhash libzstd
# libmicrohttpd's header only: the reading room opens the library when it
# starts (searcher/httpd.h), so that a one-shot query does not load it
HTTPD_PKG := libmicrohttpd
SANITIZE ?=
BUILD    ?= build
OPT      ?= -O2
FUZZ_SECONDS ?= 60
UNIHAN_DIR ?= /usr/share/unicode
OPENCC_DIR ?= /usr/share/opencc

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(HTTPD_PKG) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl

WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) $(PKG_CFLAGS) -Icommon -I$(BUILD)
LDLIBS   += $(PKG_LIBS) -lpthread -lm
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# Library sources: every .c in common/, indexer/, searcher/ except the mains.
MAINS    := indexer/fzindex.c searcher/fzsearch.c
LIB_SRC  := $(filter-out $(MAINS),$(wildcard common/*.c indexer/*.c searcher/*.c))
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/gen/fold_table.o
TESTS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
BINDIR   := $(if $(filter build,$(BUILD)),bin,$(BUILD)/bin)

.PHONY: all deps demo test unit e2e eval bench bench-scale bench-serve postsize entryframes fuzz fuzz-build valgrind install uninstall clean
.DEFAULT_GOAL := all

all: $(BINDIR)/fzindex $(BINDIR)/fzsearch

deps:
	@sh tools/deps.sh

$(BUILD)/%.o: %.c $(wildcard common/*.h indexer/*.h searcher/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The folding tables are generated at build time by tools/genfold.c from
# ICU (Traditional-Simplified), Unihan (package unicode-data: the variants,
# kJinmeiyoKanji/kJoyoKanji, the Dai Kanwa Jiten numbers and the Mandarin
# readings) and OpenCC's dictionaries (package opencc: TSCharacters and the
# TW/HK/JP variant tables, dumped to text with opencc_dict); common/fold.h
# says which relations are taken.  tools/deps.sh installs both packages; a
# missing file stops the build with its name.  The inputs are unpacked to
# text in $(BUILD)/gen/src/ first.  The output depends only on those files
# and the ICU version: genfold sorts and deduplicates everything it reads,
# so the same packages give the same table, byte for byte.
FOLD_UNIHAN := Unihan_Variants Unihan_OtherMappings Unihan_DictionaryIndices Unihan_Readings
FOLD_OPENCC := TSCharacters TWVariants TWVariantsRev HKVariants HKVariantsRev JPVariants \
               JPVariantsRev JPShinjitaiCharacters
FOLD_INPUTS := $(FOLD_UNIHAN:%=$(UNIHAN_DIR)/%.txt.bz2) $(FOLD_OPENCC:%=$(OPENCC_DIR)/%.ocd2)

$(BUILD)/gen/genfold: tools/genfold.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/gen/fold_table.c: $(BUILD)/gen/genfold $(wildcard $(FOLD_INPUTS))
	@for f in $(FOLD_INPUTS); do [ -r "$$f" ] || { echo "make: $$f is missing (the fold table is built from unicode-data and opencc: sh tools/deps.sh installs them)" >&2; exit 1; }; done
	@command -v opencc_dict >/dev/null || { echo "make: opencc_dict is missing (package opencc: sh tools/deps.sh installs it)" >&2; exit 1; }
	rm -rf $(BUILD)/gen/src && mkdir -p $(BUILD)/gen/src
	for f in $(FOLD_UNIHAN); do bzcat $(UNIHAN_DIR)/$$f.txt.bz2 > $(BUILD)/gen/src/$$f.txt || exit 1; done
	for d in $(FOLD_OPENCC); do opencc_dict -i $(OPENCC_DIR)/$$d.ocd2 -o $(BUILD)/gen/src/$$d.txt -f ocd2 -t text >/dev/null || exit 1; done
	$(BUILD)/gen/genfold $(BUILD)/gen/src > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/fold_table.o: $(BUILD)/gen/fold_table.c common/fold.h
	$(CC) $(CFLAGS) -c $< -o $@

# The analyser's fast-path table (which code points the analysis leaves as
# written, per folding level) is made by tools/gentok.c from the analyser's
# own general path: common/tok.c is compiled into the generator with
# TOK_GENERATOR defined (no table: ICU and the fold functions for every
# code point) and linked with the folding tables above, so the table is
# made again whenever they change and cannot disagree with them.
$(BUILD)/gen/gentok: tools/gentok.c common/tok.c common/fz.c common/tok.h common/fold.h common/fz.h \
                     $(BUILD)/gen/fold_table.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DTOK_GENERATOR tools/gentok.c common/tok.c common/fz.c $(BUILD)/gen/fold_table.o \
	    -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/gen/tok_table.h: $(BUILD)/gen/gentok
	$(BUILD)/gen/gentok > $@.tmp && mv $@.tmp $@

$(BUILD)/common/tok.o: $(BUILD)/gen/tok_table.h

# The text code's ranking (common/store.c, "Text code"; coded by common/store_entry.c): tools/charrank.txt,
# checked in, is made into const tables by tools/genrank.c.  The list was
# made by hand with tools/charrank.py (its comment says how it counts) from
# the poetry bench's even files (bench/.work/corpus, sorted by name, the
# 1st, 3rd, ...) and the gazetteer samples of /work/shared/corpus
# (classical/ included), with equal weight:
#   python3 tools/charrank.py 7648 EVEN... + GAZETTEER... > tools/charrank.txt
$(BUILD)/gen/genrank: tools/genrank.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS)

$(BUILD)/gen/text_rank.h: $(BUILD)/gen/genrank tools/charrank.txt
	$(BUILD)/gen/genrank tools/charrank.txt > $@.tmp && mv $@.tmp $@

$(BUILD)/common/store_entry.o: $(BUILD)/gen/text_rank.h

$(BUILD)/libfz.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BINDIR)/fzindex: $(BUILD)/indexer/fzindex.o $(BUILD)/libfz.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BINDIR)/fzsearch: $(BUILD)/searcher/fzsearch.o $(BUILD)/libfz.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/t.h tests/unit/t_build.h $(BUILD)/libfz.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iindexer -Isearcher $< -o $@ $(LDFLAGS) $(BUILD)/libfz.a $(LDLIBS)

unit: $(TESTS)

# make eval: MRR and nDCG@10 of the ranking on the judged queries in tests/eval/.
eval: all
	python3 tests/eval/eval.py

demo: deps
	$(MAKE) all
	bin/fzindex --db $(HOME)/.local/share/fangzhi/index corpus/
	bin/fzsearch --db $(HOME)/.local/share/fangzhi/index 井长制

# make test: dependencies, the normal build, then every test under
# AddressSanitizer and UndefinedBehaviorSanitizer.
test: deps
	$(MAKE) all unit
	$(MAKE) BUILD=build-san SANITIZE=address,undefined OPT=-O1 all unit
	sh tests/run.sh

clean:
	rm -rf build build-san build-fuzz bin

# make install PREFIX=/usr/local DESTDIR=: the programs, their manual pages
# and bash completion (one script, under each program's name).  Nothing in
# the programs refers to the source tree.  make uninstall removes them.
INST_BIN  := $(DESTDIR)$(PREFIX)/bin
INST_MAN  := $(DESTDIR)$(PREFIX)/share/man/man1
INST_COMP := $(DESTDIR)$(PREFIX)/share/bash-completion/completions

install: all
	install -d $(INST_BIN) $(INST_MAN) $(INST_COMP)
	install -m 755 $(BINDIR)/fzindex $(BINDIR)/fzsearch $(INST_BIN)/
	install -m 644 man/fzindex.1 man/fzsearch.1 $(INST_MAN)/
	install -m 644 completion/fangzhi.bash $(INST_COMP)/fzindex
	install -m 644 completion/fangzhi.bash $(INST_COMP)/fzsearch

uninstall:
	rm -f $(INST_BIN)/fzindex $(INST_BIN)/fzsearch
	rm -f $(INST_MAN)/fzindex.1 $(INST_MAN)/fzsearch.1
	rm -f $(INST_COMP)/fzindex $(INST_COMP)/fzsearch

# ---------------------------------------------------------------------------
# Benchmarks (bench/README.md).  Both install what they need (bench/setup.sh)
# and write their tables to bench/RESULTS.md.
#   make bench [SUBSET=N]  fangzhi vs SQLite FTS5 and Xapian on the poetry
#                          corpus (SUBSET=N: the first N entries only)
#   make bench-scale       fzindex --mem 512M on 100 MB, 500 MB, 2 GB of text
#                          from bench/gen
#   make bench-serve       fzsearch --serve on the poetry index under wrk (the
#                          index of make bench, else only it is built)
BENCH_PY := /usr/bin/python3

$(BUILD)/bench/fzgen: bench/fzgen.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

# make postsize: bench/postsize.c, the byte breakdown of an index's postings
# (bench/POSTINGS.md): $(BUILD)/bench/postsize DB
$(BUILD)/bench/postsize: bench/postsize.c $(BUILD)/libfz.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(BUILD)/libfz.a $(LDLIBS)

postsize: $(BUILD)/bench/postsize

# make entryframes: bench/entryframes.c, what small zstd frames with a
# dictionary would make of the entry blocks' text (HACKING.md, "Reading one
# entry"): $(BUILD)/bench/entryframes DB [IDS]
$(BUILD)/bench/entryframes: bench/entryframes.c $(BUILD)/libfz.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(BUILD)/libfz.a $(LDLIBS)

entryframes: $(BUILD)/bench/entryframes

bench: deps
	$(MAKE) all
	sh bench/setup.sh
	SUBSET=$(SUBSET) $(BENCH_PY) bench/run

bench-scale: deps
	$(MAKE) all $(BUILD)/bench/fzgen
	sh bench/setup.sh
	FZGEN=$(abspath $(BUILD)/bench/fzgen) $(BENCH_PY) bench/scale

bench-serve: deps
	@sh tools/deps.sh wrk
	$(MAKE) all
	sh bench/setup.sh
	$(BENCH_PY) bench/serve

# ---------------------------------------------------------------------------
# Fuzzing (tests/fuzz/): libFuzzer targets for the parser, the analyser,
# the query parser, the encodings, the index codecs, the --catalog CSV reader
# and the reading room's request parameters, built with clang and ASan+UBSan into
# build-fuzz/ (the library sources they need are compiled there too), then
# run one at a time for FUZZ_SECONDS each by tests/fuzz/run.sh.
FUZZ_CC      ?= clang
FUZZ_TARGETS := parse tok query enc store catalog req
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer $(PKG_CFLAGS) -Icommon -I$(BUILD) -Iindexer \
                -Isearcher -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_OBJ     := $(patsubst %.c,build-fuzz/%.o,common/fz.c common/kind.c common/esc.c common/guard.c common/tok.c \
                common/enc.c common/store.c common/store_entry.c common/store_post.c indexer/parse.c indexer/parse_lines.c indexer/parse_build.c \
                indexer/parse_yearbook.c indexer/parse_classical.c indexer/catalog.c searcher/query.c searcher/req.c \
                searcher/html.c searcher/snip.c searcher/group.c searcher/kwic.c searcher/out.c) build-fuzz/gen/fold_table.o

.SECONDARY: $(FUZZ_OBJ)
build-fuzz/%.o: %.c $(wildcard common/*.h indexer/*.h searcher/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

build-fuzz/common/tok.o: $(BUILD)/gen/tok_table.h
build-fuzz/common/store_entry.o: $(BUILD)/gen/text_rank.h

build-fuzz/gen/fold_table.o: $(BUILD)/gen/fold_table.c common/fold.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ -o $@ $(PKG_LIBS) -lpthread -lm

fuzz:
	@sh tools/deps.sh clang libclang-rt-14-dev
	$(MAKE) all fuzz-build
	FUZZ_RUNS=$(FUZZ_RUNS) sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(patsubst %,build-fuzz/fuzz_%,$(FUZZ_TARGETS))

# make valgrind: the end-to-end commands of tests/valgrind.sh under
# valgrind (memcheck, definite leaks are errors) with the normal build.
valgrind:
	@sh tools/deps.sh valgrind
	$(MAKE) all
	sh tests/valgrind.sh
