/*
 * store.c -- the index on disk (see store.h for the API).
 *
 * ON-DISK FORMAT, version 8
 * =========================
 * One LMDB environment: a directory holding data.mdb and lock.mdb, or one
 * file (a packed archive, opened with MDB_NOSUBDIR|MDB_RDONLY).  Integers in
 * values are LEB128 varints ("v") unless noted; keys that must sort by
 * number are big-endian 32-bit ("be32").  Named databases:
 *
 * "meta"      "magic"  -> "fangzhi-index"
 *             "format" -> v format version (STORE_FORMAT); checked on open
 *             "stats"  -> v nentries, v sumlen, v next_id, v next_file, v nfiles
 *             "delta"  -> v base: the first entry id whose postings are in
 *                         "dpost" (DELTA TIER below); no record when the
 *                         index has no delta tier
 *             "merge"  -> a key of "post": a merge of the delta tier is
 *                         under way and its next step begins at that key
 *                         (MERGING below); no record when none is
 *             "dead"   -> v n, then n times v gap, v count: the id ranges
 *                         of removed entries whose postings "post" still
 *                         holds (DEAD ENTRIES below), ascending, each
 *                         starting gap ids after the end of the one before
 *                         (the first after 0), count >= 1, every range
 *                         ending within 32 bits (store_dead_decode); no
 *                         record when none
 *             "tdict"  -> the text dictionary (version 8): a zstd dictionary
 *                         (ZDICT_trainFromBuffer's, at most
 *                         STORE_TDICT_SIZE bytes) with which the entry
 *                         blocks of method 2 compress their text (ENTRY
 *                         BLOCKS below); no record when the index has none.
 *                         Written once, by the first writer that is given
 *                         STORE_TDICT_MIN bytes of text or more in a
 *                         transaction (it holds the first STORE_TDICT_TRAIN
 *                         bytes, trains on them in groups as it writes
 *                         them, then writes them); never changed after, so
 *                         updates compress with it
 *
 * "entry"     be32 last id -> a block of the entries last-n+1 .. last
 *             (ENTRY BLOCKS below).  An entry's record (store_entry_encode,
 *             which the block splits in two):
 *               v file_id, v line, v kind, v title_npos, v npos,
 *               v nsection, nsection x (v len, bytes),
 *               v nauthors, nauthors x (v len, bytes),
 *               v title_len, title bytes, v body_len, body bytes
 *             The strings are the source's UTF-8 (after conversion from
 *             its encoding), so the index is a self-contained archive and
 *             highlight offsets refer to those bytes; they are stored in
 *             the text code below, and "len" is the coded length.
 *
 *             Text code (version 7): characters are coded by their rank
 *             in a fixed list, tools/charrank.txt (7,648 characters,
 *             most frequent first; compiled into store.o by
 *             tools/genrank.c).  A byte b < 224 (TEXT_ONE) is the
 *             character of rank b; a pair b1 b2 with 224 <= b1 <= 0xFC
 *             the one of rank 224 + (b1 - 224) x 256 + b2; 0xFE hi lo a
 *             character below 0x10000 without rank (its code point, hi lo
 *             big-endian; never a surrogate); 0xFD x y z one above 0xFFFF
 *             without rank (0x10000 .. 0x10FFFF); 0xFF b one byte b that
 *             does not start a well-formed UTF-8 sequence, copied.
 *             Decoding gives back the exact bytes encoded.  The list was
 *             counted on the poetry bench's even files (the 1st, 3rd, ...
 *             in name order, 168 of 335) and the gazetteer samples of the
 *             shared corpus (a yearbook chapter, three classical heads),
 *             each group's shares weighing the same (tools/charrank.py;
 *             printable ASCII, tab and newline always ranked).  Measured
 *             (store_entry_encode on chunks of 2,500 characters, zstd
 *             level 3): on the held-out odd poetry files 16.12 MB against
 *             20.69 MB in version 6's code of two bytes by code-point
 *             range (0.779; the even files it was counted on 0.779 too),
 *             on the gazetteer samples 123.0 KB against 150.8 (0.816;
 *             counted on them, too small to hold out); a ranking of the
 *             poetry files alone gave 0.755 on poetry but 1.023 on the
 *             gazetteers.  224 one-byte ranks: 192 gave 0.784, 240 0.789
 *             (a shorter two-byte list).  A static list rather than one per index:
 *             a reader needs no table from the index, the list costs no
 *             bytes in it and cannot be damaged.
 *
 *             ENTRY BLOCKS.  A block holds n (1 <= n <= STORE_ENTRY_BLOCK,
 *             128) entries of consecutive ids, all of one file (a file's
 *             entries are one id range, so removing a file removes whole
 *             blocks), in two parts: the entries' metadata, stored as it
 *             is, then their titles and bodies, compressed, so that what
 *             needs no text reads the metadata without decompressing
 *             anything (store_entry_meta_get):
 *               v n, v mlen, mlen bytes of metadata:
 *                 v file_id, then per entry
 *                   v line (zigzag, minus the line of the entry before;
 *                     the first's minus 0), v kind, v title_npos, v npos,
 *                   v shared: 1 when its sections and authors are the
 *                     entry before's (never the first's), else 0 followed
 *                     by them as in the record above (v nsection ...
 *                     v nauthors ...);
 *               v jlen, jlen bytes of join maps (version 7; what the
 *                 "join" database held before): the n entries' maps, each
 *                 led by v its length (0: no bit set).  A map is a bitmap
 *                 over the entry's text positions, bit p (byte p/8, bit
 *                 p%8, least significant first) set when position p holds
 *                 a CJK character joined to the one at p-1 (a bigram
 *                 starts at p-1); trailing zero bytes dropped.  It answers
 *                 the ? wildcard and the joins of a phrase's dropped
 *                 bigrams (store_join_get: read in place, no
 *                 decompression);
 *               v raw_len, a method byte, then the text to the value's
 *               end: raw is n titles and bodies (v title_len, title, v
 *               body_len, body, as in the record), each led by v its
 *               length, raw_len bytes in all.  Method 0: the text is
 *               raw; method 1: it is one zstd frame (level
 *               STORE_ENTRY_LEVEL, no dictionary, no checksum, no content
 *               size) that decompresses to raw; method 2 (version 8, only
 *               in an index with a "tdict"): v g, then g groups of the n
 *               entries in order, each v its entries (>= 1), v (length x
 *               2 + r), length bytes: its entries' part of raw when r is
 *               1, else one zstd frame of it (level STORE_ENTRY_LEVEL,
 *               with the index's dictionary, no magic number
 *               (ZSTD_f_zstd1_magicless), no checksum, no dictionary id,
 *               its content size in the header); the writer puts
 *               consecutive entries in a group while their part is at
 *               most STORE_ENTRY_GROUP (512) bytes, one entry alone may be
 *               more, and stores a group raw when zstd does not shrink
 *               it.  The groups' entries add up to n and their parts to
 *               raw, each part n' titles and bodies exactly.  Methods 1
 *               and 2: raw_len <= 255 x the bytes after the method byte
 *               (a text zstd would shrink more is stored raw, so a
 *               damaged length cannot ask a reader for more).  A reader
 *               of one entry decompresses its group alone.
 *             The metadata of n entries fills its mlen bytes exactly, as
 *             the n titles and bodies fill raw_len.  Blocks do not
 *             overlap.  The writer makes each block the longest run of a
 *             file's entries whose value fits one LMDB overflow page
 *             (page size - 16 bytes, 4080; one entry that does not fit
 *             alone takes more pages): values larger than half a page go
 *             to overflow pages, whose unused end is lost, and smaller
 *             ones pack a leaf page only as well as their size allows.
 *             Chosen by measurement on the poetry bench (332,905 entries, 54.1 MiB of records in 61.1
 *             MiB of pages, one record a key): blocks of 4, 8, 16, 32 and
 *             64 records compress to 0.89, 0.83, 0.79, 0.76 and 0.74 of
 *             the records at level 3, but fixed counts of 16 took as many
 *             pages as before (values of ~2.1 KB, one overflow page
 *             each); a 64 KiB dictionary trained on the records (1.2 s)
 *             brought blocks of 16 only from 0.79 to 0.78, level 9 gave
 *             0.79, and compressing UTF-8 instead of the text code more
 *             bytes (0.60 of 74.5 MiB).  Reading one entry decompresses
 *             its block's text (about 5 KB), about 8.4 us an entry read
 *             at random; its metadata alone 1.0 us.  The metadata apart
 *             (version 6), measured on the poetry bench: the entry table
 *             11,183 pages against 11,165 (+72 KB: the sections and
 *             authors, 6.6 MB in the text code, are the entry before's
 *             for 95% of the entries), and the reading room's results
 *             page, whose side panel reads the metadata of the best 200
 *             hits, 0.375 ms against 0.92 ms (one client, mean over the
 *             650 bench queries).  The metadata as its own zstd frame
 *             instead took 11,147 pages but two decompressions for a
 *             whole entry (11.5 us against 8.4) and 1.6-2.1 us for the
 *             metadata; stored raw, one record each as in version 5, it
 *             took 12,967 pages (+7.3 MB).  Smaller blocks would read
 *             faster and take more room: values of at most 2000 and 1300
 *             bytes (leaf pages, not overflow) brought the top 10 with
 *             snippets of fzsearch --batch --timing from 0.121 to 0.107
 *             and 0.099 ms mean, and took 12,258 and 13,271 pages (+4.4
 *             and +8.5 MB); kept at a page, as the searcher's cache of
 *             the last block (store_entry_cache) gains 4-10% for nothing.
 *             The join maps (version 7), measured on the poetry bench:
 *             as the "join" database they took 1,961 pages (8.0 MB for
 *             3.4 MB of maps, one record each); in the blocks raw, 3.40
 *             MB (+897 entry pages; data.mdb 178.4 MB).  Compressed a
 *             block's part at a time they took 1.52 MB (+393 pages), but
 *             a part took 1.38 us to decompress and phrases that verify
 *             joins in many blocks paid for it (5-8ch p99 of fzsearch
 *             --batch 0.228 ms against 0.193 before, 0.174 raw); with
 *             literals not Huffman-coded 1.59 MB and 0.33 us a part, the
 *             650 bench queries as fast as raw, but queries with a ?
 *             (300 of the 3-8 character ones with their second character
 *             a ?) 3.79 ms at p99 against 2.69 before and 2.73 raw: a
 *             wildcard verifies joins in a third of all blocks.  In the
 *             text's frame the maps would take 1.48 MB, and every read of
 *             a map would decompress the text.  So they are raw.
 *             Reading an entry (version 7): a block now holds 34 entries
 *             on average (30 before) and decompresses to 3.9 KB of text
 *             (4.6 before); a random entry read took 9.7-15.6 us against
 *             11.2-18.1 us in version 6 (the same loaded machine, best of
 *             5 x 200,000 reads, alternating).  A frame flushed every 2 KB
 *             (1 KB) of text, so that a reader could stop after its
 *             entry's part, took 2.1% (5.2%) more bytes and decoded the
 *             part a random entry needs in 8.2 us (9.8) against 8.4 for
 *             the whole unflushed frame: streaming and the extra Huffman
 *             tables cost what the shorter decode saves, so the frame is
 *             one.
 *             Groups with a dictionary (version 8), measured on the
 *             poetry bench by bench/entryframes.c (zstd alone, HACKING.md
 *             "Reading one entry"): 37.5 MB of text, 32.0 MB as one frame
 *             a block; a 64 KiB dictionary trained on every 16th group
 *             and frames of an entry took 36.3 MB (40% of the entries do
 *             not shrink: a frame's header is 5 bytes of ~110), groups of
 *             256, 384, 512 and 768 bytes 34.2, 33.4, 33.0 and 32.5 MB,
 *             and an entry read at random 0.55, 0.9, 1.1, 1.4-1.6 and 2.1
 *             us against 5.2-5.7 us for its block; a whole block ~10 us
 *             against ~5.5.  Dictionaries of 32 and 112 KiB did within
 *             0.05 MB and 0.15 us of 64 KiB.  Groups of 512 read as fast
 *             as 384 in fzsearch --batch (the searcher's cache keeps the
 *             last group) and take 0.4 MiB less.  Built by fzindex (the
 *             dictionary trained on the first 4 MiB of text): data.mdb
 *             157.7 MB against 156.1 MB, fzsearch --batch's mean 0.066 ms
 *             against 0.078 (11 interleaved rounds, every class's mean
 *             and p99 lower), the build ~0.5 s of CPU longer.
 *
 * "file"      path bytes -> v file_id, v first_id, v nentries, v nbytes,
 *               v mtime (zigzag), v indexed_at (zigzag), v len, encoding name,
 *               v len, volume title (the book title of the file's first
 *               line as the parser found it, UTF-8; length 0 when none)
 * "fileid"    be32 file_id -> path bytes
 *
 * "catalog"   path bytes (an indexed file's, as in "file") -> one catalog
 *             row (fzindex --catalog): v len, title; v len, place (UTF-8,
 *             length 0 when the row left it empty); v flags (bit 0: a year
 *             follows); v year (zigzag, FZ_YEAR_MIN..FZ_YEAR_MAX).
 *             No record when no row named the file.  Kept when the file is
 *             indexed again, dropped when it is removed, carried by
 *             --merge.  A hit's volume title is the catalog's title, else
 *             the file record's volume title, else the file's base name
 *             without its extension (store_volume_get).  The volume:,
 *             place: and year: query fields are answered from these
 *             records: a file's entries are one id range, so a query
 *             resolves them to ranges of entry ids (no postings).
 *
 * "dlen"      be32 chunk (id / 1024) -> 1024 little-endian uint32: the
 *             length in positions of each entry id of the chunk (0 when the
 *             id is deleted or unused).  Read in place for BM25.  A chunk
 *             of zeros only (its entries all removed) has no record.
 *
 * (Up to version 6 a database "join" held each entry's join map under
 * its be32 id, one record an entry; version 7 keeps them in the entry
 * blocks, ENTRY BLOCKS above.)
 *
 * "post"      positional postings, in blocks of at most 128 documents:
 *             key   = field byte ('b' title+body, 'u' title+body CJK
 *                     unigrams, 'a' author, 's' section, 'f' file, 'k'
 *                     kind), term bytes (the analyser's folded UTF-8: under
 *                     'b' a CJK bigram or a word, under 'u' one CJK
 *                     character, under the others any of the three),
 *                     0x00, be32 id of the block's first document.
 *                     All blocks of a term are adjacent and in id order,
 *                     and never overlap.
 *             value = v ndocs (1 .. 128), v last-first, v max_tf_title,
 *                     v max_tf_body, v min_dl; then, when ndocs > 16
 *                     (STORE_IMPACT_DOCS), v a0 (the index's average
 *                     length when written) and v q (the largest impact of
 *                     the block's documents at a0, in 255ths of k1+1,
 *                     rounded up; store.h; a bound of it where a build
 *                     joins blocks of several batches, from the least
 *                     length per frequency level, imp_levels in
 *                     indexer/build.c: readers take q as a bound only);
 *                     then four streams (BLOCK
 *                     STREAMS below):
 *                       the id deltas of documents 1 .. ndocs-1 (each
 *                         from the previous document, at least 1; the
 *                         first document's id is in the key),
 *                       tf_title of each document,
 *                       tf_body of each document (tf_title + tf_body >= 1),
 *                       the positions of every document in turn, each
 *                         document's tf_title + tf_body of them ascending,
 *                         as deltas from the previous (the first from 0).
 *                     Document i's positions start at the sum of the
 *                     frequencies of the documents before it.
 *
 *             WITHOUT POSITIONS ('u', version 7).  The CJK unigrams of
 *             title and body keep only ids and frequencies: a block's
 *             value ends after its two tf streams (no position stream; a
 *             reader tells such a block by that, as every position
 *             stream takes a byte at least, and fzindex --check that it
 *             is under 'u' and only there), and their records in the
 *             record form below (packs, run files, builders) have no
 *             positions.  A query of one character needs only ids and
 *             frequencies (BM25); phrases of two or more are answered by
 *             bigrams.  Where a lone character's places are needed (NEAR
 *             and EXCEPT with a one-character side, a ? beside a lone
 *             character, a query split at punctuation into one-character
 *             pieces, proximity, the highlights of snippets and --kwic,
 *             --fold=none), the searcher analyses the entry's title and
 *             body again as the indexer did (TS folding, the body from
 *             title_npos) and takes that character's positions: exactly
 *             tf_title + tf_body of them, the first tf_title in the title
 *             (search.c, uni_positions; a lone character's hits take
 *             their highlights from the analysis their snippets do
 *             anyway).  Measured on the poetry bench (make bench's
 *             corpus, 335 files, 332,905 entries): data.mdb 192,774,144
 *             -> 170,176,512 bytes, "post" 136.2 -> 113.6 MB (the
 *             unigram class 50.3 -> 28.5 MB: its position stream was
 *             20.7 MB, and its records now pack leaf pages better);
 *             merged with h13t's entry blocks, 155,787,264 bytes (178.4
 *             MB for those alone, as their commit measured them); the
 *             650 bench queries' answers byte-identical, their mean
 *             0.112 -> 0.103 ms (1ch 0.231 -> 0.210).  The price is paid
 *             where a lone character's places are needed in many entries:
 *             about 5-10 us an entry (its text read through the entry
 *             cache and analysed).  Two cases are kept off that path: an
 *             EXCEPT whose left side is one term keeps all of it where
 *             the right side is absent (frequencies), and A?B of two lone
 *             characters is the union of the bigram chains A x, x B
 *             (search.c, chain_wild): 其?其, 113,481 candidate entries,
 *             took 0.3-0.7 s through the text, 30-55 ms so, against 7-10
 *             ms with positions.  NEAR of two frequent characters and a
 *             query split at punctuation into lone characters still take
 *             their places from the text (about 2x and 6x the time).
 *
 *             BLOCK STREAMS.  A stream of n values is ceil(n / 128) runs,
 *             each of 128 values but the last (n = 0: no bytes).  A run
 *             of m values starts with a mode byte:
 *               0 .. 32  frame of reference of width w = the mode: v base,
 *                        then m values of w bits, packed least significant
 *                        bit first into ceil(m w / 8) bytes; each value is
 *                        base plus its bits;
 *               0x40     m varints;
 *               0x80 | w (w 0 .. 31) patched frame of reference: v base,
 *                        v e (exceptions, at most m), m values of w bits
 *                        packed as above, then e times: a byte (the index
 *                        of the value in the run, ascending) and v high
 *                        (>= 1): that value's bits are low | high << w.
 *             No value exceeds 32 bits.  The writer (store_block_extra)
 *             takes the smallest of the three for each run, ties in the
 *             order above, PFOR's width among those that leave at most a
 *             quarter of the run exceptions.  A reader decodes the ids
 *             (on its cursor's first move; a seek bisects them), reads
 *             the frequencies and positions of a frame of reference in
 *             place and decodes other runs whole.  Measured on the
 *             poetry bench (bench/POSTINGS.md): the blocks' ids,
 *             frequencies and positions take 38% less than as varint
 *             records (77.2 against 125.1 MB), data.mdb 24% less (254.1 ->
 *             192.7 MB), skip tables included.
 *
 *             The record form.  Packs (TERM PACKS), the indexer's run
 *             files and store_block_builder keep a block's documents as
 *             records, per document: v id delta (0 for the first), v
 *             tf_body << 1 | (tf_title > 0), then v tf_title when that bit
 *             is set, but the code 0 alone when the document's one
 *             occurrence is in its title (tf_title 1, tf_body 0: the
 *             metadata fields' usual case; the long form 1, 1 reads the
 *             same), then its positions as v deltas (the first from 0;
 *             none under 'u').  A block is written from them
 *             (store_block_extra).
 *
 *             Title positions come before body positions, so the first
 *             tf_title positions of a document are in its title.  The block
 *             maxima and min_dl bound the BM25 score of any document in the
 *             block (block-max top-k); they stay valid bounds when documents
 *             are removed from the block.
 *
 *             TERM PACKS.  A term of at most STORE_TPACK_DOCS (16)
 *             documents whose records take at most STORE_TPACK_TERM_BYTES
 *             (128) bytes shares one record with the terms next to it:
 *             key   = field byte, the pack's first term, 0x00 (a block key
 *                     without the id: it sorts before every key of terms
 *                     after it and after the keys of terms before it; the
 *                     key's only 0x00 is its last byte, a block key's is
 *                     its fifth from last);
 *             value = its terms in ascending key order, all of the key's
 *                     field, the first the key's, each:
 *                       v shared (bytes in common with the previous term
 *                         of the pack; 0 for the first), v n, n bytes (the
 *                         rest of the term; shared + n >= 1),
 *                       v ndocs (1 .. 16), v the first document's id,
 *                       ndocs document records in the record form, but
 *                         the first has no id delta (its id is the one
 *                         before).
 *             A term is in one pack or in blocks, never both, and a pack
 *             holds every term of the index between its key and the next
 *             key: a reader looks a term up with MDB_SET_RANGE on
 *             field, term, 0x00 (a pack that starts with the term, or the
 *             term's first block) and, failing that, one step back (the
 *             pack that would hold it), whose terms it walks
 *             (store_term_find).  A packed term has no header: its tf
 *             maxima and last id are its records', and min_dl, which a
 *             reader bounding scores needs, is in "dlen".  The writer of a
 *             fresh build (indexer/build.c) fills packs in key order and
 *             closes one when it reaches STORE_TPACK_BYTES (512) bytes or
 *             the field changes.  An update takes a term that gains
 *             documents out of its pack into a block (the pack's terms after
 *             it go to a pack of their own, keyed by the first of them),
 *             puts a new small term into the pack before it (when that one
 *             is of the same field and below STORE_TPACK_GROW, 1024 bytes;
 *             else into a pack of its own, which also takes the terms
 *             after it of a full pack before it), splits the pack around a
 *             new term that gets blocks, and writes a pack again without
 *             a removed file's documents
 *             (under its new first term when the first went; none when it
 *             is left empty).  Chosen by measurement on the poetry bench
 *             (2.27 M bigram terms, half of them in one entry, each a
 *             record of ~27 bytes of key, header and LMDB node for 4-5
 *             bytes of postings): data.mdb 295.6 -> 253.2 MB.  Packs
 *             of 256 / 512 / 768 bytes with terms of up to 128 bytes:
 *             253.7 / 253.2 / 253.4 MB; of 512 / 1024 / 1800 bytes with
 *             terms of 64: 253.6 / 253.9 / 254.4 MB; 512-byte packs with
 *             terms of 32 / 64 / 128 bytes: 258.5 / 253.6 / 253.2 MB, of
 *             256 as of 128 (the 16 documents bind first).  A larger pack
 *             leaves more of a leaf page unused and costs a lookup more
 *             terms to walk.
 *
 * "dpost"     DELTA TIER.  The postings of the entries from the base id
 *             ("meta" "delta") on: keys and block values as in "post", but
 *             blocks only, no term packs.  A fresh build and --pack write
 *             none; an update (fzindex on an index that is not empty,
 *             --merge into one) writes every posting it makes here, each
 *             term's new documents in blocks after the term's blocks of
 *             earlier updates, and records the base (next_id when it
 *             begins) when there is none.  Ids are never reused and a
 *             new entry's id is above every existing one, so a term's
 *             postings are its "post" blocks or pack, then its "dpost"
 *             blocks: a reader opens a cursor on each and reads them in
 *             turn, and a term's document frequency is the sum of both
 *             (store_delta_records: no "dpost" cursor while it is empty).
 *             The base splits the ids: a block of "post" holds ids below
 *             it, one of "dpost" ids from it on, and removing a file
 *             takes its entries' documents out of the tree its ids are
 *             in (a file's ids are one range, all below or all from the
 *             base).  Why: a 1 MB update of the 500 MB generated index
 *             put documents into ~112,000 terms of "post", each in the
 *             leaf holding its last block, and so copied ~52,000 of its
 *             pages (and split them, the first time after a build):
 *             twenty add/change/remove runs grew data.mdb by 54.5%.  In
 *             "dpost" the same run touches only the small tree's pages.
 *             When "dpost" reaches a quarter of the pages of "post" at the
 *             end of an update, the update merges it into "post" once its
 *             own transaction is committed (MERGING).  --pack merges it
 *             into the archive's "post" (PACKED ARCHIVES), so an archive
 *             has an empty "dpost" and no base.
 *
 *             MERGING.  The merge runs in steps, each a write transaction
 *             of its own (store_delta_merge, called by indexer/build.c):
 *             a step takes the records of "post" from where the step
 *             before stopped (the first, for the first step) to about a
 *             fiftieth of the two trees' bytes, and the delta's records
 *             of the terms among them (those below the step's end), lays
 *             them out again as --pack does (PACKED ARCHIVES: a term's
 *             blocks joined, small terms packed, the documents of dead
 *             entries left out; a block without dead documents, of a
 *             term without delta records or full, and a pack none of
 *             whose terms has delta records when there are no dead
 *             entries, are copied as they are), deletes the old records
 *             of that range
 *             from "post", the moved ones from "dpost" and the range's
 *             terms' "dfix" records, and puts the new ones in, ascending;
 *             then "meta" "merge" records the key where the next step
 *             begins (the first record of "post" it did not take).  A
 *             step ends before a term (never inside one: a term's
 *             postings are all merged or none), one of blocks whose first
 *             record starts a leaf page if it can (twice the share read:
 *             any term), so that the pack being filled ends where a fresh
 *             build ends it (before a term of blocks).  The new records
 *             are put so that each goes in at the end of a page
 *             (put_at_ends: LMDB routes a record by the keys of the branch
 *             pages, which keep a page's first key after that record is
 *             deleted, so a record may land at the start of a page; the
 *             records after it there are then taken out and put back
 *             after the step's), and LMDB, which splits a page at its
 *             end so that the page stays full, lays them out densely: put
 *             in order as they came, they filled their pages by half.
 *             Between two steps
 *             the index is valid and answers every query as before: a
 *             term before the "merge" key has all its postings in "post"
 *             (ids from the base on among them: the base splits the ids
 *             only of the terms from the key on) and no dead documents,
 *             a term from the key on is as before the merge.  The last
 *             step, which reaches the end of "post" and takes the rest of
 *             the delta, empties "dpost" and "dfix" and drops "delta",
 *             "dead" and "merge": every term has been rewritten.  A run
 *             killed between steps leaves the merge under way; the next
 *             writer finishes it before it writes anything else (so a
 *             file's removal always finds the base splitting the ids).
 *             Why: the merge in the update's transaction copied a page of
 *             "post" per term of the delta and split the pages it added
 *             to in halves: on the poetry bench (300 files, then 35 in the
 *             delta, 24.7% of the pages of "post"), an update of one
 *             52 KB file grew data.mdb from 171.5 MB to 187.5 MB
 *             (+9.4%: the pages of "dpost" it copied) without the merge,
 *             to 378.5 MB (+120.7%) with it; in steps, whose freed pages
 *             the step after next reuses (FREE PAGES), to 187.5 MB, as
 *             without it, with "post" denser than before (29,414 leaf
 *             pages for the 31,377 of "post" and "dpost"; 36,801 when the
 *             records were put in order as they came) and its archive of
 *             the same size as the single merge's; 2.6 s (2.05 s of CPU)
 *             instead of 2.0.
 *
 * "dfix"      DEAD ENTRIES.  Removing a file whose postings are in "post"
 *             (its ids below the base) leaves them there: an update
 *             adds the file's id range to "meta" "dead", and for each term
 *             of its entries (analysed again from their stored text) adds
 *             the number of its entries that have the term to the term's
 *             record here: key field, term, 0x00 (a pack key's form), value
 *             v the term's documents in "post" that are dead.  Readers skip
 *             the documents in dead ranges and take a term's document
 *             frequency as its documents in "post" less its "dfix" count,
 *             plus its documents in "dpost": what a fresh build of the
 *             files left gives, for BM25 and for counts.  Block maxima and
 *             impacts stay bounds (a removal only lowers scores).  Why:
 *             rewriting a removed file's terms' blocks and packs copied a
 *             page of "post" per term: changing one 279 KB file of the
 *             poetry bench grew data.mdb by 47% (192.4 -> 282.5 MB), with
 *             its postings left dead by 1.9% (to 196.1 MB), the answers
 *             to the 650 bench queries the same (ties with the changed
 *             file's entries aside, whose ids are new).  --pack leaves the dead
 *             documents out (an archive has no "dead" and no "dfix"), and
 *             so does a merge of the delta (MERGING above): it rewrites
 *             every term of "post" and drops "dead" and "dfix" at its end.
 *
 * Positions (common/tok.h): each CJK character and each word takes one
 * position; punctuation adds an empty one; the body starts at title_npos,
 * one position after the title's last.  The metadata fields have their own
 * position spaces (one position gap between two authors or two headings).
 * Version 2 changed no layout, only the analysis: terms are folded with
 * ICU's phrase rules (tok.h), so a version 1 index must be rebuilt.
 * Version 3 added the skip tables of posting blocks, version 4 the
 * impacts before them and the text code of entry strings, version 5 the
 * volume title of file records, the "catalog" database, the tf code 0
 * (one title occurrence) of posting records and the entry blocks, version
 * 6 the term packs and the blocks' bit-packed streams (which replaced the
 * records and skip tables of blocks), version 7 the field 'u' of the CJK
 * unigrams of title and body, without positions (they were under 'b').
 * Version 6 also split each entry block in two parts: the entries'
 * metadata, not compressed, each entry's sections and authors written only
 * when they are not the entry before's; then their titles and bodies in
 * zstd.  Version 7 coded entry text by rank (the text code) and moved the
 * join maps into the entry blocks (the "join" database is gone); it also
 * added the delta tier ("dpost" and the "delta" record of "meta") and the
 * dead entries ("dfix" and the "dead" record of "meta"), and later the
 * "merge" record of "meta" (a merge of the delta in steps, MERGING above),
 * which readers of version 7 need not know: a term's postings are still
 * its "post" ones, then its "dpost" ones, ids ascending.  Only a writer
 * must not write into an index whose merge is under way without finishing
 * it (an fzindex built before it would take a removed file's postings out
 * of "dpost" only); such an index exists only after a run was killed
 * between two steps.  Version 8 added the text dictionary ("tdict" in
 * "meta") and the entry blocks of method 2, their text in groups of small
 * frames with it.
 *
 * WRITERS.  The one process writing (fzindex) holds an exclusive flock on
 * data.mdb from open to close, so writers queue in order of arrival, and
 * maps the file writable (MDB_WRITEMAP): the pages a write transaction
 * dirties live in the file's page cache, not in LMDB's heap buffers (which
 * would grow to 512 MB on a large build whatever --mem says), and the
 * indexer drops them from its resident set as it goes (store_release_map).
 * LMDB extends the file to the map size when it opens it so (a sparse
 * file: holes take no disk); the writer's map is twice the pages in use
 * plus what the caller expects to add plus 1 GiB, and store_close cuts the
 * file back to the pages in use while it still holds the flock, so the
 * file on disk and in archives is only as long as its content.  Readers
 * map it read-only and never read past the pages of their snapshot.
 * Should the disk fill up, the kernel cannot back a page the writer
 * touches and sends SIGBUS; common/guard.c then cuts the file back to the
 * pages committed before the run and reports "No space left on device".
 * It does the same when the writer is stopped by SIGINT, SIGTERM or
 * SIGHUP (not during a commit: store_commit defers them), so that only a
 * run killed with SIGKILL leaves a long sparse file, which the next
 * writer cuts back when it closes.
 *
 * FREE PAGES.  A write transaction copies every page it changes; the old
 * copies become free pages, which LMDB reuses from the transaction after
 * next on (the previous one's meta page may still point to them), and only
 * when no reader holds an older snapshot.  A run of fzindex is one write
 * transaction, so without more a run could reuse only what the run before
 * the previous one freed, and the file would keep room for two runs' page
 * copies.  So each commit of a writer (store_commit) is followed by a
 * turn: a transaction that writes the format record again, unchanged.
 * The next run's transaction is then the one after next, and reuses the
 * pages this run freed.  A failed or stopped run commits nothing, turn
 * included, and leaves the file as it was.  A run still needs a new copy of every page it
 * touches (a 1 MB update of a 500 MB index touches about 10% of them), so
 * an updated index keeps about one run's worth of free pages, which
 * --pack leaves out.
 *
 * PERMISSIONS.  A new data.mdb is created with the mode the writer asks
 * for (fzindex: 0644, or 0640 / 0600 when a source is not readable by
 * others / by the group), and an existing one is narrowed to it, never
 * widened, before anything is written.  A packed archive gets the mode of
 * its index's data file.
 *
 * PACKED ARCHIVES.  A packed archive is a dense copy of the index (one
 * LMDB file, MDB_NOSUBDIR): every database's records copied in key order
 * with MDB_APPEND, so that its pages are full, as a fresh build's are,
 * whatever updates left half full; no free pages.  The "post" records are
 * laid out again as a fresh build lays them out (an update adds a term's
 * new documents in blocks of their own, takes a term out of its pack and
 * splits packs): a term's consecutive blocks are joined while they hold
 * at most 128 documents together (header, impact and streams made anew
 * from their documents and "dlen", at the index's average length), and
 * the terms of few postings are packed again (TERM PACKS); the delta
 * tier's blocks are merged in, each after its term's main postings (a
 * packed term with delta blocks becomes one term of both), the documents
 * of dead entries are left out (a block keyed by its first live one),
 * and the archive's "dpost" and "dfix" are empty, its "meta" without
 * "delta" and "dead".  Adding the
 * last 10 of the poetry bench's 335 files to an index of the others, the
 * archive came to 253,161,496 bytes, a fresh build's to 253,173,784
 * (copied as they were, the records took 261.3 MB; measured before the
 * block streams).  It is followed by a
 * trailer of 24 bytes:
 *             u64 length of the copy, u64 XXH3-64 of those bytes (both
 *             little-endian), and the magic "fzpack1\n".
 * LMDB reads only the pages its meta page names and ignores the trailer.
 * fzindex --check and --merge verify the checksum (store_pack_verify)
 * before LMDB opens the file; a file without the trailer (packed by an
 * older fangzhi) is refused there with "pack it again"; fzsearch opens it
 * as it is.
 */
#include "store.h"

#include <errno.h>
#include <xxhash.h>
#define ZSTD_STATIC_LINKING_ONLY /* frames without magic number: ZSTD_c_format, ZSTD_d_format */
#include <zdict.h>
#include <zstd.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"

struct store {
    MDB_env *env;
    MDB_dbi dbi[STORE_DB_COUNT];
    int readonly;
    int lockfd;                /* writer: data.mdb, flocked; else -1 */
    int writemap;              /* opened with MDB_WRITEMAP */
    int failed;                /* open failed: give the file its length back */
    int opened;                /* open_impl done: a writer's commits take a turn */
    off_t orig_size;           /* writer: data.mdb's length before LMDB's */
    char datafile[4096 + 16];  /* real path of the data file */
    ZSTD_CCtx *zc;             /* writer: compresses entry blocks (made on first use) */
    ZSTD_DCtx *zd;             /* a spare context for decompressing entry blocks, taken and
                                * given back atomically (readers may share the store) */
    store_tdict *td;           /* the index's text dictionary as it was opened or trained
                                * (NULL: none, or damaged: td_bad) */
    int td_bad;
    ZSTD_CDict *tcd;           /* writer: the dictionary for compressing (made on first use) */
    size_t tcd_len;            /* the length of the dictionary it was made from */
    ZSTD_CCtx *tzc;            /* writer: compresses groups with tcd */
};

struct store_tdict {
    ZSTD_DDict *dd;
};

int store_tdict_create(const void *dict, size_t len, store_tdict **out)
{
    *out = NULL;
    if (!len || len > STORE_TDICT_SIZE)
        return FZ_ECORRUPT;
    store_tdict *d = calloc(1, sizeof *d);
    if (!d)
        return FZ_ENOMEM;
    /* NULL for memory as for tables that do not decode: either way unusable */
    if (!(d->dd = ZSTD_createDDict(dict, len))) {
        free(d);
        return FZ_ECORRUPT;
    }
    *out = d;
    return FZ_OK;
}

void store_tdict_destroy(store_tdict *d)
{
    if (!d)
        return;
    ZSTD_freeDDict(d->dd);
    free(d);
}

const store_tdict *store_tdict_of(const store *s)
{
    return s ? s->td : NULL;
}

static const char *const db_names[STORE_DB_COUNT] = {"meta", "entry", "file",  "fileid", "post",
                                                     "dlen", "catalog", "dpost", "dfix"};

int store_lmdb_err(int rc, const char *what, char *msg, size_t msglen)
{
    fz_msg(msg, msglen, "%s: %s", what, mdb_strerror(rc));
    if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND)
        return FZ_ECORRUPT;
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
        return FZ_EFORMAT;
    if (rc == MDB_NOTFOUND)
        return FZ_ENOTFOUND;
    if (rc == ENOMEM)
        return FZ_ENOMEM;
    if (rc == EAGAIN || rc == EBUSY)
        return FZ_EBUSY;
    if (rc == EACCES || rc == EROFS || rc == EIO || rc == ENOSPC)
        return FZ_EIO;
    return FZ_ELMDB;
}

static int meta_check(store *s, MDB_txn *txn, int creating, char *msg, size_t msglen)
{
    MDB_val k = {5, "magic"}, v;
    int rc = mdb_get(txn, s->dbi[STORE_DB_META], &k, &v);
    if (rc == MDB_NOTFOUND) {
        if (!creating) {
            fz_msg(msg, msglen, "not a fangzhi index (no magic record)");
            return FZ_EFORMAT;
        }
        MDB_val mv = {strlen(STORE_MAGIC), STORE_MAGIC};
        if ((rc = mdb_put(txn, s->dbi[STORE_DB_META], &k, &mv, 0)))
            return store_lmdb_err(rc, "writing index header", msg, msglen);
        uint8_t fb[FZ_VARINT_MAX];
        MDB_val fk = {6, "format"}, fv = {fz_varint_put(fb, STORE_FORMAT), fb};
        if ((rc = mdb_put(txn, s->dbi[STORE_DB_META], &fk, &fv, 0)))
            return store_lmdb_err(rc, "writing index header", msg, msglen);
        return FZ_OK;
    }
    if (rc)
        return store_lmdb_err(rc, "reading index header", msg, msglen);
    if (v.mv_size != strlen(STORE_MAGIC) || memcmp(v.mv_data, STORE_MAGIC, v.mv_size)) {
        fz_msg(msg, msglen, "not a fangzhi index (wrong magic)");
        return FZ_EFORMAT;
    }
    MDB_val fk = {6, "format"}, fv;
    uint64_t fmt = 0;
    if (mdb_get(txn, s->dbi[STORE_DB_META], &fk, &fv) ||
        !fz_varint_get(fv.mv_data, (const uint8_t *)fv.mv_data + fv.mv_size, &fmt)) {
        fz_msg(msg, msglen, "index has no format version; re-index it");
        return FZ_EFORMAT;
    }
    if (fmt != STORE_FORMAT) {
        fz_msg(msg, msglen, "index format %llu is %s than this fangzhi's format %d; %s",
               (unsigned long long)fmt, fmt > STORE_FORMAT ? "newer" : "older", STORE_FORMAT,
               fmt > STORE_FORMAT ? "use a newer fangzhi" : "re-index the sources");
        return FZ_EFORMAT;
    }
    /* the text dictionary: a damaged one fails the reads of the blocks
     * that need it, and --check (store_tdict_check), not the open */
    MDB_val dk = {5, "tdict"}, dv;
    rc = mdb_get(txn, s->dbi[STORE_DB_META], &dk, &dv);
    if (rc == 0)
        s->td_bad = store_tdict_create(dv.mv_data, dv.mv_size, &s->td) != FZ_OK;
    else if (rc != MDB_NOTFOUND)
        return store_lmdb_err(rc, "reading the text dictionary", msg, msglen);
    return FZ_OK;
}

int store_tdict_check(store *s, MDB_txn *txn, char *msg, size_t msglen)
{
    MDB_val dk = {5, "tdict"}, dv;
    int rc = mdb_get(txn, s->dbi[STORE_DB_META], &dk, &dv);
    if (rc == MDB_NOTFOUND)
        return FZ_OK;
    if (rc)
        return store_lmdb_err(rc, "reading the text dictionary", msg, msglen);
    store_tdict *d;
    if ((rc = store_tdict_create(dv.mv_data, dv.mv_size, &d))) {
        if (rc == FZ_ECORRUPT)
            fz_msg(msg, msglen, "the text dictionary (%zu bytes) does not load", dv.mv_size);
        return rc;
    }
    store_tdict_destroy(d);
    return FZ_OK;
}

const char *store_default_path(char *buf, size_t n)
{
    const char *e = getenv("FANGZHI_DB");
    if (e && *e)
        return e;
    const char *x = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (x && *x)
        snprintf(buf, n, "%s/fangzhi/index", x);
    else if (home && *home)
        snprintf(buf, n, "%s/.local/share/fangzhi/index", home);
    else
        return NULL; /* not ./.local: an index must not depend on where one stands */
    return buf;
}

/* LMDB checks some invariants of its pages with assertions, which abort
 * the process; on a damaged page one fails: report the damage instead. */
static void on_lmdb_assert(MDB_env *env, const char *what)
{
    (void)env;
    char why[600];
    snprintf(why, sizeof why, "the index is damaged (LMDB: %s); re-index its sources", what);
    guard_fail(why);
}

/* Opens s->env.  The map is 1 TB of address space; where that cannot be
 * had (ulimit -v, valgrind) smaller maps are tried.  A read-only open that
 * cannot write the lock file (read-only media) opens without one: readers
 * then rely on no writer being active, which holds for archives. */
static int env_open(store *s, const char *path, unsigned flags, size_t writemap_size)
{
    static const int map_shift[] = {40, 36, 33, 30};
    int rc = EINVAL;
    if (writemap_size) {
        /* the writer (see WRITERS above); where that map cannot be had,
         * the plain one below */
        if ((rc = mdb_env_create(&s->env)))
            return rc;
        mdb_env_set_assert(s->env, on_lmdb_assert);
        mdb_env_set_maxdbs(s->env, STORE_DB_COUNT + 2);
        mdb_env_set_maxreaders(s->env, 126);
        mdb_env_set_mapsize(s->env, writemap_size);
        if (!(rc = mdb_env_open(s->env, path, flags | MDB_WRITEMAP, 0644))) {
            s->writemap = 1;
            return 0;
        }
        mdb_env_close(s->env);
        s->env = NULL;
    }
    for (size_t i = 0; i < sizeof map_shift / sizeof *map_shift; i++) {
        for (int nolock = 0; nolock < 2; nolock++) {
            if ((rc = mdb_env_create(&s->env)))
                return rc;
            mdb_env_set_assert(s->env, on_lmdb_assert);
            mdb_env_set_maxdbs(s->env, STORE_DB_COUNT + 2);
            mdb_env_set_maxreaders(s->env, 126);
            mdb_env_set_mapsize(s->env, (size_t)1 << map_shift[i]);
            unsigned f = flags | (s->readonly ? MDB_RDONLY : 0) | (nolock ? MDB_NOLOCK : 0);
            rc = mdb_env_open(s->env, path, f, 0644);
            if (!rc)
                return 0;
            mdb_env_close(s->env);
            s->env = NULL;
            if (!s->readonly || (rc != EACCES && rc != EROFS))
                break;
        }
        if (rc != ENOMEM && rc != EINVAL)
            break;
    }
    return rc;
}

static int open_impl(const char *path, int mode, uint64_t grow, unsigned perm, store **out, char *msg,
                     size_t msglen);

int store_open(const char *path, int mode, store **out, char *msg, size_t msglen)
{
    return open_impl(path, mode, 0, 0644, out, msg, msglen);
}

int store_open_write(const char *path, uint64_t grow, unsigned perm, store **out, char *msg, size_t msglen)
{
    return open_impl(path, STORE_WRITE, grow, perm & 0666, out, msg, msglen);
}

/* The writer's lock and map size (WRITERS above): opens and flocks
 * path/data.mdb, creating it empty if missing.  Returns the fd or -1 with
 * msg set. */
static int writer_lock(const char *path, uint64_t grow, unsigned perm, size_t *mapsize, off_t *orig_size,
                       char *msg, size_t msglen)
{
    char dp[4096 + 16];
    snprintf(dp, sizeof dp, "%s/data.mdb", path);
    int fd = open(dp, O_RDWR | O_CREAT | O_CLOEXEC, perm);
    if (fd < 0) {
        fz_msg(msg, msglen, "cannot open %s: %s", dp, strerror(errno));
        return -1;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            fz_msg(msg, msglen, "cannot lock %s: %s", dp, strerror(errno));
            close(fd);
            return -1;
        }
    }
    struct stat st;
    uint64_t used = 0;
    *orig_size = 0;
    if (fstat(fd, &st) == 0) {
        used = (uint64_t)st.st_blocks * 512; /* the file may be sparse */
        *orig_size = st.st_size;
        /* never wider than the sources allow (PERMISSIONS above); only the
         * owner can narrow it, and who is not cannot have made it wider */
        if ((st.st_mode & 0777 & ~perm) && fchmod(fd, st.st_mode & 0777 & perm) != 0 && errno != EPERM) {
            fz_msg(msg, msglen, "cannot restrict the mode of %s: %s", dp, strerror(errno));
            close(fd);
            return -1;
        }
    }
    uint64_t want = 2 * used + grow + ((uint64_t)1 << 30);
    want = (want + ((uint64_t)1 << 21) - 1) & ~(((uint64_t)1 << 21) - 1);
    if (want > ((uint64_t)1 << 40))
        want = (uint64_t)1 << 40;
    *mapsize = (size_t)want;
    return fd;
}

/* The ranges where the data file is mapped into this process (LMDB does
 * not say where its map is: me_mapaddr is only a fixed map's address),
 * from /proc/self/maps; fn is called for each. */
static void map_ranges(const store *s, void (*fn)(void *ctx, char *lo, size_t len), void *ctx)
{
    if (!s->datafile[0])
        return;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return;
    char line[4096 + 256];
    size_t n = strlen(s->datafile);
    while (fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == ' '))
            line[--l] = 0;
        if (l < n || strcmp(line + l - n, s->datafile))
            continue;
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && hi > lo)
            fn(ctx, (char *)lo, hi - lo);
    }
    fclose(f);
}

static void release_range(void *ctx, char *lo, size_t len)
{
    (void)ctx;
    madvise(lo, len, MADV_DONTNEED);
}

/* The writer's map (the largest range: there is one). */
static void find_range(void *ctx, char *lo, size_t len)
{
    struct { char *lo; size_t len; } *r = ctx;
    if (len > r->len) {
        r->lo = lo;
        r->len = len;
    }
}

static int open_impl(const char *path, int mode, uint64_t grow, unsigned perm, store **out, char *msg,
                     size_t msglen)
{
    *out = NULL;
    struct stat st;
    int isdir = 0, exists = stat(path, &st) == 0;
    if (exists)
        isdir = S_ISDIR(st.st_mode);
    if (!exists && mode != STORE_WRITE) {
        fz_msg(msg, msglen, "no index at %s (build one with fzindex --db %s FILES)", path, path);
        return FZ_ENOTFOUND;
    }
    if (!exists) {
        if (mkdir(path, 0777) && errno != EEXIST) {
            fz_msg(msg, msglen, "cannot create %s: %s", path, strerror(errno));
            return FZ_EIO;
        }
        isdir = 1;
    }
    unsigned flags = MDB_NOTLS;
    if (isdir) {
        char dp[4096];
        snprintf(dp, sizeof dp, "%s/data.mdb", path);
        struct stat ds;
        if (stat(dp, &ds) != 0) {
            if (mode != STORE_WRITE) {
                fz_msg(msg, msglen, "no index at %s (build one with fzindex --db %s FILES)", path, path);
                return FZ_ENOTFOUND;
            }
        } else if (ds.st_size == 0 && mode != STORE_WRITE) {
            fz_msg(msg, msglen, "%s is empty: not a fangzhi index; re-index", dp);
            return FZ_EFORMAT;
        }
    } else {
        if (!S_ISREG(st.st_mode)) {
            fz_msg(msg, msglen, "%s is not a directory or an index file", path);
            return FZ_EINVAL;
        }
        if (mode == STORE_WRITE) {
            /* only call it an archive if it opens as one */
            store *ro = NULL;
            char m2[8];
            int arch = open_impl(path, STORE_READ, 0, 0, &ro, m2, sizeof m2) == FZ_OK;
            store_close(ro);
            if (arch)
                fz_msg(msg, msglen, "%s is a packed archive (read-only); index into a directory", path);
            else
                fz_msg(msg, msglen, "%s is a file, not an index directory; give a directory", path);
            return FZ_EINVAL;
        }
        if (st.st_size < 8192) {
            fz_msg(msg, msglen, "%s is too small to be a fangzhi index", path);
            return FZ_EFORMAT;
        }
        flags |= MDB_NOSUBDIR;
    }
    if (flags & MDB_NOSUBDIR)
        flags |= MDB_NOLOCK; /* an archive is never written: no lock file beside it */
    store *s = calloc(1, sizeof *s);
    if (!s)
        return FZ_ENOMEM;
    s->readonly = mode != STORE_WRITE;
    s->lockfd = -1;
    size_t wmap = 0;
    if (!s->readonly && (s->lockfd = writer_lock(path, grow, perm, &wmap, &s->orig_size, msg, msglen)) < 0) {
        free(s);
        return FZ_EIO;
    }
    if (s->lockfd >= 0) /* from here a fault or a stop cuts the file back */
        guard_writer_set(s->lockfd, s->orig_size, NULL, 0);
    int err, rc = env_open(s, path, flags, wmap);
    if (rc) {
        err = store_lmdb_err(rc, path, msg, msglen);
        if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
            fz_msg(msg, msglen, "%s is not a fangzhi index (or is damaged); re-index", path);
        if (s->lockfd >= 0) {
            if (ftruncate(s->lockfd, s->orig_size) != 0) {
                /* LMDB may have extended it; nothing else to do */
            }
            guard_writer_clear();
            close(s->lockfd);
        }
        free(s);
        return err;
    }
    {
        char dp[4096 + 16];
        if (flags & MDB_NOSUBDIR)
            snprintf(dp, sizeof dp, "%s", path);
        else
            snprintf(dp, sizeof dp, "%s/data.mdb", path);
        if (!realpath(dp, s->datafile))
            s->datafile[0] = 0;
    }
    /* A data file shorter than the pages its header claims would make
     * LMDB read past the end of the mapping (SIGBUS): refuse it. */
    {
        MDB_envinfo info;
        MDB_stat est;
        struct stat fs;
        char dp[4096 + 16];
        if (flags & MDB_NOSUBDIR)
            snprintf(dp, sizeof dp, "%s", path);
        else
            snprintf(dp, sizeof dp, "%s/data.mdb", path);
        int ok = !mdb_env_info(s->env, &info) && !mdb_env_stat(s->env, &est) && !stat(dp, &fs);
        if (ok && s->lockfd >= 0 && s->orig_size > 0)
            fs.st_size = s->orig_size; /* LMDB has extended a writer's file */
        if (ok && (uint64_t)fs.st_size < ((uint64_t)info.me_last_pgno + 1) * est.ms_psize) {
            fz_msg(msg, msglen, "%s is truncated (%lld of %llu bytes): the index is damaged; re-index", dp,
                   (long long)fs.st_size, (unsigned long long)(info.me_last_pgno + 1) * est.ms_psize);
            err = FZ_ECORRUPT;
            goto fail;
        }
        /* a writer's file is cut back to its committed pages on a fault or
         * a stop (also what a killed run left beyond them) */
        if (ok && s->lockfd >= 0) {
            struct { char *lo; size_t len; } r = {NULL, 0};
            if (s->writemap)
                map_ranges(s, find_range, &r);
            guard_writer_set(s->lockfd, (off_t)(((uint64_t)info.me_last_pgno + 1) * est.ms_psize), r.lo, r.len);
        }
    }
    MDB_txn *txn;
    if ((rc = mdb_txn_begin(s->env, NULL, s->readonly ? MDB_RDONLY : 0, &txn))) {
        err = store_lmdb_err(rc, "opening index", msg, msglen);
        goto fail;
    }
    /* meta first: an index of another format version is told so, not
     * that a database of this version is missing */
    for (int i = 0; i < STORE_DB_COUNT; i++) {
        rc = mdb_dbi_open(txn, db_names[i], s->readonly ? 0 : MDB_CREATE, &s->dbi[i]);
        if (rc) {
            mdb_txn_abort(txn);
            if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE || rc == MDB_INVALID) {
                fz_msg(msg, msglen, "%s is not a fangzhi index (or is damaged); re-index", path);
                err = FZ_EFORMAT;
            } else if (rc == MDB_PAGE_NOTFOUND || rc == MDB_CORRUPTED) {
                fz_msg(msg, msglen, "%s is damaged (LMDB: %s); re-index its sources", path, mdb_strerror(rc));
                err = FZ_ECORRUPT;
            } else {
                err = store_lmdb_err(rc, "opening index tables", msg, msglen);
            }
            goto fail;
        }
        if (i == STORE_DB_META && (err = meta_check(s, txn, !s->readonly, msg, msglen))) {
            mdb_txn_abort(txn);
            goto fail;
        }
    }
    if ((err = store_commit(s, txn, "opening index", msg, msglen)))
        goto fail;
    s->opened = 1;
    *out = s;
    return FZ_OK;
fail:
    s->failed = 1;
    store_close(s);
    return err;
}

void store_close(store *s)
{
    if (!s)
        return;
    off_t used = -1;
    MDB_envinfo info;
    MDB_stat est;
    if (s->failed)
        used = s->orig_size;
    else if (s->writemap && s->env && !mdb_env_info(s->env, &info) && !mdb_env_stat(s->env, &est))
        used = (off_t)(((uint64_t)info.me_last_pgno + 1) * est.ms_psize);
    if (used >= 0 && s->lockfd >= 0)
        guard_writer_restore_len(used);
    if (s->env)
        mdb_env_close(s->env);
    /* the map is gone and the flock still held: cut the file back to the
     * pages in use (WRITERS above); failing that it stays sparse */
    if (used >= 0 && s->lockfd >= 0 && ftruncate(s->lockfd, used) != 0) {
        /* harmless: a longer file reads the same */
    }
    if (s->lockfd >= 0) {
        guard_writer_clear();
        close(s->lockfd);
    }
    ZSTD_freeCCtx(s->zc);
    ZSTD_freeDCtx(s->zd);
    ZSTD_freeCCtx(s->tzc);
    ZSTD_freeCDict(s->tcd);
    store_tdict_destroy(s->td);
    free(s);
}

uint64_t store_size(store *s)
{
    MDB_envinfo info;
    MDB_stat est;
    if (!s || !s->env || mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &est))
        return 0;
    return ((uint64_t)info.me_last_pgno + 1) * est.ms_psize;
}

/* The turn after a writer's commit (FREE PAGES above): a transaction
 * that writes the format record again, unchanged, so that it has a page
 * to commit and takes a transaction id of its own.  Its failure changes
 * nothing but which free pages the next run may reuse. */
static void writer_turn(store *s)
{
    MDB_txn *txn;
    if (mdb_txn_begin(s->env, NULL, 0, &txn))
        return;
    uint8_t fb[FZ_VARINT_MAX];
    MDB_val fk = {6, "format"}, fv = {fz_varint_put(fb, STORE_FORMAT), fb};
    if (mdb_put(txn, s->dbi[STORE_DB_META], &fk, &fv, 0) || mdb_txn_commit(txn))
        mdb_txn_abort(txn);
    else
        guard_writer_restore_len((off_t)store_size(s));
}

int store_commit(store *s, MDB_txn *txn, const char *what, char *msg, size_t msglen)
{
    guard_hold();
    int rc = mdb_txn_commit(txn);
    if (!rc && s->lockfd >= 0) {
        guard_writer_restore_len((off_t)store_size(s));
        if (s->opened)
            writer_turn(s);
    }
    guard_release();
    return rc ? store_lmdb_err(rc, what, msg, msglen) : FZ_OK;
}

MDB_env *store_env(store *s) { return s->env; }
MDB_dbi store_dbi(const store *s, enum store_db which) { return s->dbi[which]; }
int store_readonly(const store *s) { return s->readonly; }

int store_begin(store *s, int write, MDB_txn **txn, char *msg, size_t msglen)
{
    int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, txn);
    if (rc)
        return store_lmdb_err(rc, write ? "starting a write transaction" : "starting a read transaction",
                              msg, msglen);
    return FZ_OK;
}

void store_dir(const store *s, char *buf, size_t n)
{
    snprintf(buf, n, "%s", s->datafile[0] ? s->datafile : ".");
    char *slash = strrchr(buf, '/');
    if (slash && slash != buf)
        *slash = 0;
    else if (!slash)
        snprintf(buf, n, ".");
}

void store_release_map(store *s) { map_ranges(s, release_range, NULL); }

/* The packed archive's trailer (PACKED ARCHIVES above). */
#define PACK_MAGIC "fzpack1\n"
#define PACK_TRAILER 24

static void le64_put(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le64_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* XXH3-64 of the first len bytes of fd; -1 with errno on a read error. */
static int hash_fd(int fd, uint64_t len, uint64_t *out)
{
    XXH3_state_t *st = XXH3_createState();
    size_t bsz = (size_t)1 << 20;
    uint8_t *buf = malloc(bsz);
    if (!st || !buf || XXH3_64bits_reset(st) != XXH_OK) {
        XXH3_freeState(st);
        free(buf);
        errno = ENOMEM;
        return -1;
    }
    uint64_t off = 0;
    int rc = 0;
    while (off < len) {
        size_t want = len - off < bsz ? (size_t)(len - off) : bsz;
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* shorter than it was */
            rc = -1;
            break;
        }
        XXH3_64bits_update(st, buf, (size_t)n);
        off += (uint64_t)n;
    }
    *out = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    free(buf);
    return rc;
}

/* Writes the archive's LMDB file at path (created empty by the caller):
 * every database of s copied record by record, in key order, with
 * MDB_APPEND, so that its pages are as full as a fresh build's (PACKED
 * ARCHIVES above).  Commits every 64 MB so that LMDB's dirty pages stay
 * few.  Returns 0 or an LMDB error code. */
static int tpack_add_raw(store_tpack_builder *pb, int field, const char *term, size_t len, uint32_t ndocs,
                         uint32_t first, const uint8_t *r, size_t n);

/* The writer of a packed archive: records are appended in key order, in
 * transactions of about 64 MB. */
typedef struct {
    MDB_env *env;
    MDB_txn *wt;
    MDB_cursor *wcur;
    MDB_dbi d;
    size_t since;
    fz_buf *sink;             /* set: the records go here instead (a merge step, MERGING above) */
} pack_out;

static int pack_put(pack_out *o, MDB_val *k, MDB_val *v)
{
    int rc;
    if (o->sink)
        return fz_buf_varint(o->sink, k->mv_size) || fz_buf_varint(o->sink, v->mv_size) ||
                       fz_buf_append(o->sink, k->mv_data, k->mv_size) || fz_buf_append(o->sink, v->mv_data, v->mv_size)
                   ? ENOMEM
                   : 0;
    if (o->since >= ((size_t)64 << 20) || !o->wcur) {
        if (o->wcur) {
            mdb_cursor_close(o->wcur);
            o->wcur = NULL;
            rc = mdb_txn_commit(o->wt);
            o->wt = NULL;
            if (rc || (rc = mdb_txn_begin(o->env, NULL, 0, &o->wt)))
                return rc;
        }
        if ((rc = mdb_cursor_open(o->wt, o->d, &o->wcur)))
            return rc;
        o->since = 0;
    }
    o->since += k->mv_size + v->mv_size;
    return mdb_cursor_put(o->wcur, k, v, MDB_APPEND);
}

/* The "post" records of a packed archive, laid out as a fresh build lays
 * them out: an update takes a term that gains documents out of its pack,
 * splits packs and adds a term's new documents in blocks of their own,
 * which its archive need not keep.  So a term's consecutive blocks are
 * joined while they hold at most STORE_BLOCK_DOCS documents together
 * (their documents gathered in the record form by a block builder, the
 * block written anew: header, impact, streams), and a term whose blocks
 * hold few postings (store_tpack_fits) and the terms of the index's packs
 * are packed again in key order. */
typedef struct {
    store *s;
    MDB_txn *rt;
    store_dlen_cache dc;
    uint32_t a0;              /* the index's average length, for impacts */
    pack_out *o;
    store_tpack_builder pb;
    uint8_t cur[STORE_KEY_MAX];
    size_t cur_len;           /* the current term (key bytes before the id); 0: none */
    int wrote;                /* a block of it was written */
    MDB_val pk;               /* the key of the pending group's first block */
    uint8_t pkbuf[STORE_KEY_MAX]; /* pk's bytes when not in LMDB (a packed term's, see repack_pack_delta) */
    int npend;                /* blocks in the pending group */
    store_block_builder bb;   /* the group's documents (the record form: the first delta 0) */
    store_range *dead;        /* removed entries, whose documents are left out */
    size_t ndead;
    uint32_t *pos;            /* one document's positions */
    size_t pcap;
    fz_buf val;
} repack;

static int repack_flush(repack *r)
{
    if (!r->pb.klen)
        return 0;
    MDB_val k = {r->pb.klen, r->pb.key}, v = {r->pb.val.len, r->pb.val.p};
    int rc = pack_put(r->o, &k, &v);
    store_tpack_reset(&r->pb);
    return rc;
}

/* Adds a small term to the pack being filled. */
static int repack_small(repack *r, int field, const char *term, size_t len, uint32_t ndocs, uint32_t first,
                        const uint8_t *recs, size_t n)
{
    int rc;
    if (r->pb.klen && (r->pb.field != field || r->pb.val.len >= STORE_TPACK_BYTES) && (rc = repack_flush(r)))
        return rc;
    return tpack_add_raw(&r->pb, field, term, len, ndocs, first, recs, n) ? MDB_CORRUPTED : 0;
}

/* Writes the pending group as one block (after the pack being filled). */
static int repack_group(repack *r)
{
    if (!r->npend || !r->bb.ndocs) { /* none, or only removed entries' documents */
        r->npend = 0;
        return 0;
    }
    int rc = repack_flush(r);
    if (rc)
        return rc;
    if ((rc = store_bb_finish(&r->bb, r->a0, &r->val)))
        return rc == FZ_ENOMEM ? ENOMEM : MDB_CORRUPTED;
    /* keyed by its first document (the first block's, unless removed) */
    uint8_t key[STORE_KEY_MAX];
    memcpy(key, r->cur, r->cur_len);
    fz_be32_put(key + r->cur_len, r->bb.first);
    MDB_val k = {r->cur_len + 4, key}, v = {r->val.len, r->val.p};
    r->npend = 0;
    r->wrote = 1;
    return pack_put(r->o, &k, &v);
}

/* The current term is complete: packed when its blocks hold few
 * postings, else its last group written. */
static int repack_end_term(repack *r)
{
    int rc = 0;
    if (r->npend && !r->wrote && r->bb.ndocs && store_tpack_fits(r->bb.ndocs, r->bb.docs.len) && r->bb.docs.len >= 1)
        rc = repack_small(r, r->cur[0], (const char *)r->cur + 1, r->cur_len - 2, r->bb.ndocs, r->bb.first,
                          (const uint8_t *)r->bb.docs.p + 1, r->bb.docs.len - 1);
    else
        rc = repack_group(r);
    r->npend = 0;
    r->cur_len = 0;
    r->wrote = 0;
    return rc;
}

/* The documents of block b (freshly opened) into the pending group. */
static int repack_docs(repack *r, store_block *b)
{
    int rc = store_bb_add_block(r->s, r->rt, &r->dc, b, &r->bb, &r->pos, &r->pcap, r->dead, r->ndead);
    return rc == FZ_ENOMEM ? ENOMEM : rc ? MDB_CORRUPTED : 0;
}

/* A packed term without the removed entries' documents (repack_small). */
static int repack_small_live(repack *r, const store_tpack_iter *it)
{
    if (!r->ndead)
        return repack_small(r, it->field, it->term, it->term_len, it->ndocs, it->first, it->recs, it->recs_len);
    store_block b;
    if (store_block_open_tpack(&b, it))
        return MDB_CORRUPTED;
    store_bb_begin(&r->bb, it->field);
    int rc = repack_docs(r, &b);
    if (rc || !r->bb.ndocs)
        return rc;
    return repack_small(r, it->field, it->term, it->term_len, r->bb.ndocs, r->bb.first, (const uint8_t *)r->bb.docs.p + 1,
                        r->bb.docs.len - 1);
}

/* One block of the current term, added to the pending group (written
 * first when the two would hold more than STORE_BLOCK_DOCS documents). */
static int repack_block(repack *r, MDB_val *k, MDB_val *v)
{
    store_block b;
    if (store_block_open(&b, fz_be32_get((const uint8_t *)k->mv_data + k->mv_size - 4), v->mv_data, v->mv_size) ||
        (r->npend && b.first <= r->bb.last))
        return MDB_CORRUPTED;
    int rc;
    if (r->npend && r->bb.ndocs + b.ndocs > STORE_BLOCK_DOCS && (rc = repack_group(r)))
        return rc;
    if (!r->npend) {
        store_bb_begin(&r->bb, ((const uint8_t *)k->mv_data)[0]);
        r->pk = *k;
    }
    if ((rc = repack_docs(r, &b)))
        return rc;
    r->npend++;
    return 0;
}

static int repack_record(repack *r, MDB_val *k, MDB_val *v)
{
    int rc;
    if (store_key_is_tpack(k->mv_data, k->mv_size)) {
        if ((rc = repack_end_term(r)))
            return rc;
        store_tpack_iter it;
        if (store_tpack_open(&it, k->mv_data, k->mv_size, v->mv_data, v->mv_size))
            return MDB_CORRUPTED;
        do {
            if ((rc = repack_small_live(r, &it)))
                return rc;
        } while ((rc = store_tpack_next(&it)) == FZ_OK);
        return rc == FZ_ENOTFOUND ? 0 : MDB_CORRUPTED;
    }
    if (k->mv_size < 7 || k->mv_size - 4 > sizeof r->cur)
        return MDB_CORRUPTED;
    size_t plen = k->mv_size - 4;
    if (r->cur_len != plen || memcmp(r->cur, k->mv_data, plen)) {
        if ((rc = repack_end_term(r)))
            return rc;
        memcpy(r->cur, k->mv_data, plen);
        r->cur_len = plen;
    }
    return repack_block(r, k, v);
}

/* The delta tier's records, read beside the main tree's: ordered by key
 * (LMDB's order: bytes, then the shorter first). */
typedef struct {
    MDB_cursor *cur;
    MDB_val k, v;
    int has;                  /* k, v hold the next record */
} dwalk;

static int dwalk_get(dwalk *d, MDB_cursor_op op)
{
    int rc = mdb_cursor_get(d->cur, &d->k, &d->v, op);
    d->has = rc == 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int bytes_cmp(const void *a, size_t la, const void *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    return c ? c : la < lb ? -1 : la > lb;
}

/* The delta's records of terms before the pack key pre (field, term,
 * 0x00): terms the main tree does not have, which go before it. */
static int repack_delta_before(repack *r, dwalk *d, const uint8_t *pre, size_t plen)
{
    int rc = 0;
    while (!rc && d->has && d->k.mv_size >= 7 && bytes_cmp(d->k.mv_data, d->k.mv_size - 4, pre, plen) < 0)
        if (!(rc = repack_record(r, &d->k, &d->v)))
            rc = dwalk_get(d, MDB_NEXT);
    return rc;
}

/* A pack of the main tree while the delta tier has records: a packed term
 * that also has delta blocks becomes one term of its documents and those
 * blocks' (joined, and packed again when few); the delta's terms between
 * the pack's go in their places. */
static int repack_pack_delta(repack *r, MDB_val *k, MDB_val *v, dwalk *d)
{
    store_tpack_iter it;
    int rc = repack_end_term(r);
    if (rc)
        return rc;
    if (store_tpack_open(&it, k->mv_data, k->mv_size, v->mv_data, v->mv_size))
        return MDB_CORRUPTED;
    do {
        uint8_t pre[STORE_KEY_MAX];
        size_t plen = store_tpack_key(pre, it.field, it.term, it.term_len);
        if ((rc = repack_delta_before(r, d, pre, plen)) || (rc = repack_end_term(r)))
            return rc;
        if (!d->has || d->k.mv_size != plen + 4 || memcmp(d->k.mv_data, pre, plen)) {
            if ((rc = repack_small_live(r, &it)))
                return rc;
            continue;
        }
        store_block b;
        if (store_block_open_tpack(&b, &it))
            return MDB_CORRUPTED;
        memcpy(r->cur, pre, plen);
        r->cur_len = plen;
        r->pk.mv_size = store_post_key(r->pkbuf, it.field, it.term, it.term_len, it.first);
        r->pk.mv_data = r->pkbuf;
        store_bb_begin(&r->bb, it.field);
        if ((rc = repack_docs(r, &b)))
            return rc;
        r->npend = 1;
        while (d->has && d->k.mv_size == plen + 4 && !memcmp(d->k.mv_data, pre, plen))
            if ((rc = repack_record(r, &d->k, &d->v)) || (rc = dwalk_get(d, MDB_NEXT)))
                return rc;
    } while ((rc = store_tpack_next(&it)) == FZ_OK);
    return rc == FZ_ENOTFOUND ? 0 : MDB_CORRUPTED;
}

/* The archive's "post": the main tree's records and the delta tier's,
 * merged in key order (a term's delta blocks after its main ones). */
static int repack_all(repack *r, MDB_cursor *pcur, MDB_cursor *dcur)
{
    dwalk d = {dcur, {0, NULL}, {0, NULL}, 0};
    MDB_val k, v;
    int rc = dwalk_get(&d, MDB_FIRST);
    for (int g = rc ? rc : mdb_cursor_get(pcur, &k, &v, MDB_FIRST); !rc; g = mdb_cursor_get(pcur, &k, &v, MDB_NEXT)) {
        if (g) {
            rc = g == MDB_NOTFOUND ? 0 : g;
            break;
        }
        while (!rc && d.has && bytes_cmp(d.k.mv_data, d.k.mv_size, k.mv_data, k.mv_size) < 0)
            if (!(rc = repack_record(r, &d.k, &d.v)))
                rc = dwalk_get(&d, MDB_NEXT);
        if (!rc)
            rc = d.has && store_key_is_tpack(k.mv_data, k.mv_size) ? repack_pack_delta(r, &k, &v, &d)
                                                                    : repack_record(r, &k, &v);
    }
    while (!rc && d.has)
        if (!(rc = repack_record(r, &d.k, &d.v)))
            rc = dwalk_get(&d, MDB_NEXT);
    if (!rc && !(rc = repack_end_term(r)))
        rc = repack_flush(r);
    return rc;
}

static int pack_dense(store *s, const char *path)
{
    MDB_txn *rt = NULL;
    MDB_cursor *rcur = NULL;
    pack_out o = {0};
    repack r;
    memset(&r, 0, sizeof r);
    r.o = &o;
    r.s = s;
    int rc = mdb_env_create(&o.env);
    if (rc)
        return rc;
    uint64_t map = 2 * store_size(s) + ((uint64_t)256 << 20);
    mdb_env_set_maxdbs(o.env, STORE_DB_COUNT + 2);
    mdb_env_set_mapsize(o.env, (size_t)(map < ((uint64_t)1 << 40) ? map : (uint64_t)1 << 40));
    if ((rc = mdb_env_open(o.env, path, MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOSYNC, 0600)) ||
        (rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &rt)) || (rc = mdb_txn_begin(o.env, NULL, 0, &o.wt)))
        goto out;
    r.rt = rt;
    store_stats st;
    if (store_stats_get(s, rt, &st)) {
        rc = MDB_CORRUPTED;
        goto out;
    }
    if (store_dead_get(s, rt, &r.dead, &r.ndead)) {
        rc = MDB_CORRUPTED;
        goto out;
    }
    r.a0 = store_avg_len(st.sumlen, st.nentries);
    for (int i = 0; i < STORE_DB_COUNT && !rc; i++) {
        MDB_val k, v;
        if ((rc = mdb_dbi_open(o.wt, db_names[i], MDB_CREATE, &o.d)))
            break;
        if (i == STORE_DB_DPOST || i == STORE_DB_DFIX)
            continue; /* merged into "post", removed entries left out: an archive has no delta tier */
        if ((rc = mdb_cursor_open(rt, s->dbi[i], &rcur)))
            break;
        if (i == STORE_DB_POST) {
            MDB_cursor *dcur;
            if (!(rc = mdb_cursor_open(rt, s->dbi[STORE_DB_DPOST], &dcur))) {
                rc = repack_all(&r, rcur, dcur);
                mdb_cursor_close(dcur);
            }
        } else {
            for (rc = mdb_cursor_get(rcur, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(rcur, &k, &v, MDB_NEXT))
                if (!(i == STORE_DB_META && ((k.mv_size == 5 && !memcmp(k.mv_data, "delta", 5)) ||
                                             (k.mv_size == 5 && !memcmp(k.mv_data, "merge", 5)) ||
                                             (k.mv_size == 4 && !memcmp(k.mv_data, "dead", 4)))) &&
                    (rc = pack_put(&o, &k, &v)))
                    break;
        }
        if (rc == MDB_NOTFOUND)
            rc = 0;
        mdb_cursor_close(rcur);
        rcur = NULL;
        mdb_cursor_close(o.wcur);
        o.wcur = NULL;
    }
    if (!rc) {
        rc = mdb_txn_commit(o.wt);
        o.wt = NULL;
    }
out:
    if (o.wt)
        mdb_txn_abort(o.wt);
    if (rt)
        mdb_txn_abort(rt);
    mdb_env_close(o.env);
    store_tpack_free(&r.pb);
    store_bb_free(&r.bb);
    free(r.pos);
    free(r.dead);
    fz_buf_free(&r.val);
    return rc;
}

int store_pack(store *s, const char *path, char *msg, size_t msglen)
{
    /* the archive is as private as the index it copies */
    struct stat ds;
    mode_t perm = s->datafile[0] && stat(s->datafile, &ds) == 0 ? (ds.st_mode & 0644) : 0644;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, perm);
    if (fd < 0) {
        int e = errno;
        fz_msg(msg, msglen, "packing into %s: %s%s", path, strerror(e), e == EEXIST ? " (give a new file name)" : "");
        return e == EEXIST ? FZ_EINVAL : FZ_EIO;
    }
    const char *why = NULL;
    int rc = pack_dense(s, path);
    if (rc)
        why = mdb_strerror(rc);
    struct stat st;
    uint64_t h = 0;
    if (!why && fstat(fd, &st))
        why = strerror(errno);
    if (!why && hash_fd(fd, (uint64_t)st.st_size, &h))
        why = strerror(errno);
    if (!why) {
        uint8_t t[PACK_TRAILER];
        le64_put(t, (uint64_t)st.st_size);
        le64_put(t + 8, h);
        memcpy(t + 16, PACK_MAGIC, 8);
        ssize_t n = pwrite(fd, t, sizeof t, st.st_size);
        if (n != (ssize_t)sizeof t)
            why = n < 0 ? strerror(errno) : "short write";
    }
    if (!why && fsync(fd) && errno != EINVAL && errno != EROFS)
        why = strerror(errno);
    if (close(fd) && !why)
        why = strerror(errno);
    if (why) {
        fz_msg(msg, msglen, "packing into %s: %s", path, why);
        unlink(path);
        return FZ_EIO;
    }
    return FZ_OK;
}

int store_pack_verify(const char *path, char *msg, size_t msglen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fz_msg(msg, msglen, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? FZ_ENOTFOUND : FZ_EIO;
    }
    struct stat st;
    uint8_t t[PACK_TRAILER];
    int err = FZ_OK;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        fz_msg(msg, msglen, "%s is not a packed archive", path);
        err = FZ_EINVAL;
    } else if (st.st_size < PACK_TRAILER || pread(fd, t, sizeof t, st.st_size - PACK_TRAILER) != PACK_TRAILER ||
               memcmp(t + 16, PACK_MAGIC, 8)) {
        /* an older pack, or no index at all: opening it tells which (a
         * fault there is the guard's) */
        store *o = NULL;
        err = open_impl(path, STORE_READ, 0, 0, &o, msg, msglen);
        store_close(o);
        if (err == FZ_OK)
            fz_msg(msg, msglen, "%s has no checksum (packed by an older fangzhi): pack it again from its index",
                   path);
        err = FZ_EFORMAT;
    } else if (le64_get(t) != (uint64_t)st.st_size - PACK_TRAILER) {
        fz_msg(msg, msglen, "%s is damaged (%llu bytes, its trailer says %llu): pack it again from its index",
               path, (unsigned long long)(st.st_size - PACK_TRAILER), (unsigned long long)le64_get(t));
        err = FZ_ECORRUPT;
    } else {
        uint64_t h;
        if (hash_fd(fd, le64_get(t), &h)) {
            fz_msg(msg, msglen, "reading %s: %s", path, strerror(errno));
            err = FZ_EIO;
        } else if (h != le64_get(t + 8)) {
            fz_msg(msg, msglen, "%s is damaged (its checksum does not match its content): "
                                "pack it again from its index", path);
            err = FZ_ECORRUPT;
        }
    }
    close(fd);
    return err;
}

/* ---- stats ---- */

/* The "meta" record key into *v: FZ_OK, FZ_ENOTFOUND, FZ_ELMDB. */
static int meta_get(store *s, MDB_txn *txn, const char *key, MDB_val *v)
{
    MDB_val k = {strlen(key), (void *)key};
    int rc = mdb_get(txn, s->dbi[STORE_DB_META], &k, v);
    return rc == MDB_NOTFOUND ? FZ_ENOTFOUND : rc ? store_lmdb_err(rc, "reading the index's statistics", NULL, 0) : FZ_OK;
}

uint32_t store_avg_len(uint64_t sumlen, uint64_t n)
{
    uint64_t a = n ? sumlen / n : 1;
    return a ? (uint32_t)(a > UINT32_MAX ? UINT32_MAX : a) : 1;
}

int store_stats_get(store *s, MDB_txn *txn, store_stats *st)
{
    memset(st, 0, sizeof *st);
    MDB_val v;
    int rc = meta_get(s, txn, "stats", &v);
    if (rc)
        return rc == FZ_ENOTFOUND ? FZ_OK : rc;
    const uint8_t *p = v.mv_data, *end = p + v.mv_size;
    uint64_t x[5];
    for (int i = 0; i < 5; i++)
        if (!(p = fz_varint_get(p, end, &x[i])))
            return FZ_ECORRUPT;
    st->nentries = x[0];
    st->sumlen = x[1];
    st->next_id = (uint32_t)x[2];
    st->next_file = (uint32_t)x[3];
    st->nfiles = x[4];
    return FZ_OK;
}

int store_stats_put(store *s, MDB_txn *txn, const store_stats *st)
{
    uint8_t b[5 * FZ_VARINT_MAX];
    size_t n = 0;
    n += fz_varint_put(b + n, st->nentries);
    n += fz_varint_put(b + n, st->sumlen);
    n += fz_varint_put(b + n, st->next_id);
    n += fz_varint_put(b + n, st->next_file);
    n += fz_varint_put(b + n, st->nfiles);
    MDB_val k = {5, "stats"}, v = {n, b};
    int rc = mdb_put(txn, s->dbi[STORE_DB_META], &k, &v, 0);
    return rc ? store_lmdb_err(rc, "writing statistics", NULL, 0) : FZ_OK;
}

/* ---- the delta tier (DELTA TIER above) ---- */

int store_delta_base_decode(const uint8_t *v, size_t n, uint32_t *base)
{
    uint64_t x;
    const uint8_t *p = fz_varint_get(v, v + n, &x);
    if (!p || p != v + n || x >= UINT32_MAX)
        return FZ_ECORRUPT;
    *base = (uint32_t)x;
    return FZ_OK;
}

int store_delta_base(store *s, MDB_txn *txn, uint32_t *base)
{
    *base = UINT32_MAX;
    MDB_val v;
    int rc = meta_get(s, txn, "delta", &v);
    return rc ? rc : store_delta_base_decode(v.mv_data, v.mv_size, base);
}

int store_delta_base_put(store *s, MDB_txn *txn, uint32_t base, char *msg, size_t msglen)
{
    uint8_t b[FZ_VARINT_MAX];
    MDB_val k = {5, "delta"}, v = {fz_varint_put(b, base), b};
    int rc = mdb_put(txn, s->dbi[STORE_DB_META], &k, &v, 0);
    return rc ? store_lmdb_err(rc, "writing the delta tier's base", msg, msglen) : FZ_OK;
}

uint64_t store_delta_records(store *s, MDB_txn *txn)
{
    MDB_stat st;
    return mdb_stat(txn, s->dbi[STORE_DB_DPOST], &st) ? 0 : st.ms_entries;
}

int store_delta_share(store *s, MDB_txn *txn, uint64_t *delta_pages, uint64_t *post_pages)
{
    MDB_stat d, p;
    int rc = mdb_stat(txn, s->dbi[STORE_DB_DPOST], &d);
    if (!rc)
        rc = mdb_stat(txn, s->dbi[STORE_DB_POST], &p);
    if (rc)
        return store_lmdb_err(rc, "reading the postings' size", NULL, 0);
    *delta_pages = d.ms_branch_pages + d.ms_leaf_pages + d.ms_overflow_pages;
    *post_pages = p.ms_branch_pages + p.ms_leaf_pages + p.ms_overflow_pages;
    return FZ_OK;
}

/* ---- dead entries (DEAD ENTRIES above) ---- */

int store_dead_decode(const uint8_t *v, size_t len, store_range **r, size_t *n)
{
    *r = NULL;
    *n = 0;
    const uint8_t *p = v, *end = v + len;
    uint64_t cnt, prev = 0;
    if (!(p = fz_varint_get(p, end, &cnt)) || cnt > len)
        return FZ_ECORRUPT;
    store_range *a = malloc((cnt ? cnt : 1) * sizeof *a);
    if (!a)
        return FZ_ENOMEM;
    for (uint64_t i = 0; i < cnt; i++) {
        uint64_t gap, count;
        /* each below 2^32 first, so that their sum cannot wrap around */
        if (!(p = fz_varint_get(p, end, &gap)) || !(p = fz_varint_get(p, end, &count)) || count == 0 ||
            gap > UINT32_MAX || count > UINT32_MAX || prev + gap + count > UINT32_MAX) {
            free(a);
            return FZ_ECORRUPT;
        }
        a[i].first = (uint32_t)(prev + gap);
        a[i].n = (uint32_t)count;
        prev = prev + gap + count;
    }
    if (p != end) {
        free(a);
        return FZ_ECORRUPT;
    }
    *r = a;
    *n = (size_t)cnt;
    return FZ_OK;
}

int store_dead_encode(const store_range *r, size_t n, fz_buf *b)
{
    uint64_t prev = 0;
    if (fz_buf_varint(b, n))
        return FZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!r[i].n || r[i].first < prev || (uint64_t)r[i].first + r[i].n > UINT32_MAX)
            return FZ_EINVAL;
        if (fz_buf_varint(b, r[i].first - prev) || fz_buf_varint(b, r[i].n))
            return FZ_ENOMEM;
        prev = (uint64_t)r[i].first + r[i].n;
    }
    return FZ_OK;
}

int store_dead_get(store *s, MDB_txn *txn, store_range **r, size_t *n)
{
    *r = NULL;
    *n = 0;
    MDB_val v;
    int rc = meta_get(s, txn, "dead", &v);
    if (rc)
        return rc == FZ_ENOTFOUND ? FZ_OK : rc;
    return store_dead_decode(v.mv_data, v.mv_size, r, n);
}

int store_dead_add(store *s, MDB_txn *txn, uint32_t first, uint32_t n, char *msg, size_t msglen)
{
    store_range *r;
    size_t cnt;
    int rc = store_dead_get(s, txn, &r, &cnt);
    if (rc)
        return rc;
    size_t at = 0;
    while (at < cnt && r[at].first < first)
        at++;
    if (!n || (uint64_t)first + n > UINT32_MAX || (at && (uint64_t)r[at - 1].first + r[at - 1].n > first) ||
        (at < cnt && (uint64_t)first + n > r[at].first)) {
        free(r);
        return FZ_EINVAL;
    }
    store_range *w = realloc(r, (cnt + 1) * sizeof *w);
    if (!w) {
        free(r);
        return FZ_ENOMEM;
    }
    memmove(w + at + 1, w + at, (cnt - at) * sizeof *w);
    w[at] = (store_range){first, n};
    fz_buf b = {0};
    rc = store_dead_encode(w, cnt + 1, &b);
    free(w);
    if (rc) {
        fz_buf_free(&b);
        return rc;
    }
    MDB_val k = {4, "dead"}, v = {b.len, b.p};
    int r2 = mdb_put(txn, s->dbi[STORE_DB_META], &k, &v, 0);
    fz_buf_free(&b);
    return r2 ? store_lmdb_err(r2, "writing the removed entries", msg, msglen) : FZ_OK;
}

uint32_t store_dead_end(const store_range *r, size_t n, uint32_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first range starting after id */
        size_t m = lo + (hi - lo) / 2;
        if (r[m].first <= id)
            lo = m + 1;
        else
            hi = m;
    }
    return lo && id - r[lo - 1].first < r[lo - 1].n ? r[lo - 1].first + r[lo - 1].n : 0;
}

int store_dfix_decode(const uint8_t *v, size_t len, uint64_t *n)
{
    const uint8_t *p = fz_varint_get(v, v + len, n);
    return p && p == v + len ? FZ_OK : FZ_ECORRUPT;
}

int store_dfix_get(store *s, MDB_txn *txn, int field, const char *term, size_t len, uint64_t *n)
{
    uint8_t key[STORE_KEY_MAX];
    *n = 0;
    if (len > STORE_KEY_MAX - 6)
        return FZ_OK;
    MDB_val k = {store_tpack_key(key, field, term, len), key}, v;
    int rc = mdb_get(txn, s->dbi[STORE_DB_DFIX], &k, &v);
    if (rc == MDB_NOTFOUND)
        return FZ_OK;
    if (rc)
        return store_lmdb_err(rc, "reading the removed entries' counts", NULL, 0);
    return store_dfix_decode(v.mv_data, v.mv_size, n);
}

int store_dfix_add(store *s, MDB_txn *txn, int field, const char *term, size_t len, uint64_t n, char *msg,
                   size_t msglen)
{
    uint64_t old;
    int rc = store_dfix_get(s, txn, field, term, len, &old);
    if (rc)
        return rc;
    uint8_t key[STORE_KEY_MAX], b[FZ_VARINT_MAX];
    MDB_val k = {store_tpack_key(key, field, term, len), key}, v = {fz_varint_put(b, old + n), b};
    rc = mdb_put(txn, s->dbi[STORE_DB_DFIX], &k, &v, 0);
    return rc ? store_lmdb_err(rc, "writing the removed entries' counts", msg, msglen) : FZ_OK;
}

int store_delta_merging(store *s, MDB_txn *txn, uint8_t *key, size_t *klen)
{
    MDB_val v;
    int rc = meta_get(s, txn, "merge", &v);
    if (rc)
        return rc == FZ_ENOTFOUND ? 0 : rc;
    if (v.mv_size < 2 || v.mv_size > STORE_KEY_MAX)
        return FZ_ECORRUPT;
    memcpy(key, v.mv_data, v.mv_size);
    *klen = v.mv_size;
    return 1;
}

/* The length of key k's term part (field, term, 0x00): a pack key is all
 * of it, a block key has the id after it. */
static size_t key_term_len(const MDB_val *k)
{
    return store_key_is_tpack(k->mv_data, k->mv_size) || k->mv_size < 5 ? k->mv_size : k->mv_size - 4;
}

/* Deletes the records of db from the first at or after lo (the first of
 * all when lo is NULL) while they sort below hi (to the end when hi is
 * NULL), comparing only key_term_len bytes of keys and lo when terms is
 * set ("dfix" keys against the range's terms). */
static int delete_range(MDB_txn *txn, MDB_dbi db, const MDB_val *lo, const MDB_val *hi, int terms)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db, &c);
    if (rc)
        return rc;
    size_t hl = hi ? (terms ? key_term_len(hi) : hi->mv_size) : 0;
    for (;;) {
        MDB_val k = lo ? *lo : (MDB_val){0, NULL}, v;
        if (lo && terms)
            k.mv_size = key_term_len(lo);
        if ((rc = mdb_cursor_get(c, &k, &v, lo ? MDB_SET_RANGE : MDB_FIRST)))
            break;
        if (hi && bytes_cmp(k.mv_data, terms ? key_term_len(&k) : k.mv_size, hi->mv_data, hl) >= 0)
            break;
        if ((rc = mdb_cursor_del(c, 0)))
            break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The next record of a list as o's sink holds them (v key length, v value
 * length, key, value) at *at in b, into k and v: 1, or 0 at its end, -1
 * when malformed. */
static int rec_next(const fz_buf *b, size_t *at, MDB_val *k, MDB_val *v)
{
    const uint8_t *p = (const uint8_t *)b->p + *at, *end = (const uint8_t *)b->p + b->len;
    uint64_t kl, vl;
    if (p >= end)
        return 0;
    if (!(p = fz_varint_get(p, end, &kl)) || !(p = fz_varint_get(p, end, &vl)) || kl + vl > (uint64_t)(end - p))
        return -1;
    k->mv_size = kl;
    k->mv_data = (void *)p;
    v->mv_size = vl;
    v->mv_data = (void *)(p + kl);
    *at = (size_t)(p + kl + vl - (const uint8_t *)b->p);
    return 1;
}

/* Puts the records of recs (ascending, all below the records of db after
 * them) into db so that each goes in at the end of a leaf page.  LMDB
 * routes a record to a page by the keys of the branch pages, which keep a
 * page's first key after that record is deleted (and its rebalancing of
 * the pages a step emptied may leave records of the step's end in such a
 * page): a record routed to the start of a page, before the records after
 * it, would split the page in halves, and so would the next, one half
 * page after the other.  So when a record goes in before others on its
 * page, those are taken out and put back after the step's records (they
 * sort after them), by the same rule, at most 64 pages of them; a record
 * at the end of a page fills it before LMDB splits it (a page split at
 * its end is left full).  Returns 0 or an LMDB error. */
static int put_at_ends(MDB_txn *txn, MDB_dbi db, const fz_buf *recs, size_t psize)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db, &c);
    if (rc)
        return rc;
    fz_buf q = {0};           /* records taken out, to put back after */
    size_t at = 0, qat = 0;
    int moves = 64, from_q = 0;
    uint8_t first[STORE_KEY_MAX], next[STORE_KEY_MAX];
    for (;;) {
        MDB_val k, v;
        int r = from_q ? 0 : rec_next(recs, &at, &k, &v);
        if (r == 0) {
            from_q = 1;
            r = rec_next(&q, &qat, &k, &v);
        }
        if (r <= 0) {
            rc = r ? MDB_CORRUPTED : 0;
            break;
        }
        if ((rc = mdb_cursor_put(c, &k, &v, 0)))
            break;
        if (!moves)
            continue;
        MDB_val a, b;
        if ((rc = mdb_cursor_get(c, &a, &b, MDB_GET_CURRENT)))
            break;
        uintptr_t pg = (uintptr_t)a.mv_data / psize;
        rc = mdb_cursor_get(c, &a, &b, MDB_NEXT);
        if (rc == MDB_NOTFOUND || (!rc && (uintptr_t)a.mv_data / psize != pg)) {
            rc = 0;
            continue;
        }
        if (rc)
            break;
        /* records after it on its page: out, to be put back after */
        moves--;
        if (a.mv_size > sizeof first) {
            rc = MDB_CORRUPTED;
            break;
        }
        memcpy(first, a.mv_data, a.mv_size);
        MDB_val lo = {a.mv_size, first}, hi = {0, next};
        while (!rc && (uintptr_t)a.mv_data / psize == pg) {
            if (fz_buf_varint(&q, a.mv_size) || fz_buf_varint(&q, b.mv_size) || fz_buf_append(&q, a.mv_data, a.mv_size) ||
                fz_buf_append(&q, b.mv_data, b.mv_size))
                rc = ENOMEM;
            else
                rc = mdb_cursor_get(c, &a, &b, MDB_NEXT);
        }
        int last = rc == MDB_NOTFOUND;
        if (rc && !last)
            break;
        if (!last) {
            if (a.mv_size > sizeof next) {
                rc = MDB_CORRUPTED;
                break;
            }
            memcpy(next, a.mv_data, a.mv_size);
            hi.mv_size = a.mv_size;
        }
        if ((rc = delete_range(txn, db, &lo, last ? NULL : &hi, 0)))
            break;
    }
    mdb_cursor_close(c);
    fz_buf_free(&q);
    return rc;
}

/* Whether a dead range of r (ascending) holds an id of first .. last. */
static int dead_within(const store_range *r, size_t n, uint32_t first, uint32_t last)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first range ending after first */
        size_t m = lo + (hi - lo) / 2;
        if ((uint64_t)r[m].first + r[m].n <= first)
            lo = m + 1;
        else
            hi = m;
    }
    return lo < n && r[lo].first <= last;
}

/* A record of "post" that a merge step copies as it is, its layout being
 * the same as --pack would give it: a block without removed entries'
 * documents in its id range, of a term without delta records, or a
 * pack (when the index has no removed entries) none of whose terms the
 * delta sorts among.  Laying such records out again only cost the time
 * (decoding and encoding every block); so does a full block (it joins no
 * other) of a term with delta blocks.  The pack being filled ends before
 * it; a block written so keeps its term in blocks (r->wrote).  Sets
 * *copied; returns 0 or an LMDB error code. */
static int merge_as_is(repack *r, const dwalk *d, MDB_val *k, MDB_val *v, int *copied)
{
    int rc;
    *copied = 0;
    if (store_key_is_tpack(k->mv_data, k->mv_size)) {
        if (r->ndead)
            return 0;
        if (d->has) {
            store_tpack_iter it;
            uint8_t last[STORE_KEY_MAX];
            size_t ll = 0;
            if (store_tpack_open(&it, k->mv_data, k->mv_size, v->mv_data, v->mv_size))
                return MDB_CORRUPTED;
            do
                ll = store_tpack_key(last, it.field, it.term, it.term_len);
            while ((rc = store_tpack_next(&it)) == FZ_OK);
            if (rc != FZ_ENOTFOUND)
                return MDB_CORRUPTED;
            if (bytes_cmp(d->k.mv_data, key_term_len(&d->k), last, ll) <= 0)
                return 0; /* a delta term among or at its terms */
        }
        if ((rc = repack_end_term(r)) || (rc = repack_flush(r)))
            return rc;
        *copied = 1;
        return pack_put(r->o, k, v);
    }
    if (k->mv_size < 7 || k->mv_size - 4 > sizeof r->cur)
        return MDB_CORRUPTED;
    size_t plen = k->mv_size - 4;
    /* a term with delta blocks: those are joined with its last blocks, but
     * a full block joins no other */
    int delta = d->has && key_term_len(&d->k) == plen && !memcmp(d->k.mv_data, k->mv_data, plen);
    if (delta || r->ndead) {
        store_block b;
        if (store_block_open(&b, fz_be32_get((const uint8_t *)k->mv_data + plen), v->mv_data, v->mv_size))
            return MDB_CORRUPTED;
        if ((delta && b.ndocs < STORE_BLOCK_DOCS) || (r->ndead && dead_within(r->dead, r->ndead, b.first, b.last)))
            return 0;
    }
    if (r->cur_len == plen && !memcmp(r->cur, k->mv_data, plen)) {
        if ((rc = repack_group(r))) /* the term's documents before it, as a block */
            return rc;
    } else {
        if ((rc = repack_end_term(r)))
            return rc;
        memcpy(r->cur, k->mv_data, plen);
        r->cur_len = plen;
    }
    if ((rc = repack_flush(r)))
        return rc;
    r->wrote = 1;
    *copied = 1;
    return pack_put(r->o, k, v);
}

/* One step of the merge (MERGING above): the records of "post" from lo
 * (its first when lo has no bytes) and the delta's before the step's end
 * laid out again by the packer's rules into o's sink; *hi receives the
 * first record of "post" left for the next step (mv_data NULL: none, the
 * step went to the end and took the whole delta). */
static int merge_range(repack *r, MDB_cursor *pcur, MDB_cursor *dcur, const MDB_val *lo, uint64_t max_bytes,
                       size_t psize, MDB_val *hi)
{
    dwalk d = {dcur, {0, NULL}, {0, NULL}, 0};
    MDB_val k = lo->mv_size ? *lo : (MDB_val){0, NULL}, v;
    uint64_t done = 0;
    uintptr_t page = 0;
    size_t plen = 0;          /* the term part of the last record of "post" taken */
    uint8_t prev[STORE_KEY_MAX];
    hi->mv_data = NULL;
    hi->mv_size = 0;
    int rc = dwalk_get(&d, MDB_FIRST);
    for (int g = rc ? rc : mdb_cursor_get(pcur, &k, &v, lo->mv_size ? MDB_SET_RANGE : MDB_FIRST); !rc;
         g = mdb_cursor_get(pcur, &k, &v, MDB_NEXT)) {
        if (g) {
            rc = g == MDB_NOTFOUND ? 0 : g;
            break;
        }
        if (k.mv_size < 2 || k.mv_size > STORE_KEY_MAX) {
            rc = MDB_CORRUPTED; /* no key of "post" is so (a damaged page) */
            break;
        }
        while (!rc && d.has && bytes_cmp(d.k.mv_data, d.k.mv_size, k.mv_data, k.mv_size) < 0) {
            done += d.k.mv_size + d.v.mv_size;
            if (!(rc = repack_record(r, &d.k, &d.v)))
                rc = dwalk_get(&d, MDB_NEXT);
        }
        if (rc)
            break;
        /* the step ends before a term of blocks whose first starts a leaf
         * page once it has read max_bytes (twice that: before any term),
         * so that the pack being filled ends where a fresh build ends it
         * (a term of blocks ends it) */
        size_t tl = key_term_len(&k);
        uintptr_t pg = (uintptr_t)k.mv_data / psize;
        int pack = store_key_is_tpack(k.mv_data, k.mv_size);
        int starts = !plen || tl != plen || memcmp(prev, k.mv_data, tl) || pack;
        if (max_bytes && plen && starts && done >= max_bytes &&
            ((pg != page && !pack) || done >= 2 * max_bytes)) {
            *hi = k;
            break;
        }
        page = pg;
        memcpy(prev, k.mv_data, tl);
        plen = tl;
        done += k.mv_size + v.mv_size;
        int copied;
        if (!(rc = merge_as_is(r, &d, &k, &v, &copied)) && !copied)
            rc = d.has && pack ? repack_pack_delta(r, &k, &v, &d) : repack_record(r, &k, &v);
    }
    while (!rc && !hi->mv_data && d.has)
        if (!(rc = repack_record(r, &d.k, &d.v)))
            rc = dwalk_get(&d, MDB_NEXT);
    if (!rc && !(rc = repack_end_term(r)))
        rc = repack_flush(r);
    return rc;
}

int store_delta_merge(store *s, MDB_txn *txn, uint64_t max_bytes, int *done, char *msg, size_t msglen)
{
    *done = 0;
    uint8_t lob[STORE_KEY_MAX], hib[STORE_KEY_MAX];
    MDB_val lo = {0, lob}, hi = {0, NULL};
    int rc = store_delta_merging(s, txn, lob, &lo.mv_size);
    if (rc < 0)
        return rc;
    store_stats st;
    if ((rc = store_stats_get(s, txn, &st)))
        return rc;
    MDB_stat es;
    mdb_env_stat(s->env, &es);
    fz_buf sink = {0};
    pack_out o = {0};
    o.sink = &sink;
    repack r;
    memset(&r, 0, sizeof r);
    r.o = &o;
    r.s = s;
    r.rt = txn;
    r.a0 = store_avg_len(st.sumlen, st.nentries);
    MDB_cursor *pcur = NULL, *dcur = NULL;
    if (!(rc = store_dead_get(s, txn, &r.dead, &r.ndead))) {
        int lr = mdb_cursor_open(txn, s->dbi[STORE_DB_POST], &pcur);
        if (!lr)
            lr = mdb_cursor_open(txn, s->dbi[STORE_DB_DPOST], &dcur);
        if (!lr) {
            /* read everything first: the values stay where they are while nothing is written */
            lr = merge_range(&r, pcur, dcur, &lo, max_bytes, es.ms_psize ? es.ms_psize : 4096, &hi);
            if (!lr && hi.mv_data) {
                memcpy(hib, hi.mv_data, hi.mv_size);
                hi.mv_data = hib;
            }
        }
        if (lr == ENOMEM)
            rc = FZ_ENOMEM;
        else if (lr == MDB_CORRUPTED)
            rc = FZ_ECORRUPT;
        else if (lr)
            rc = store_lmdb_err(lr, "merging the delta tier", msg, msglen);
    }
    if (pcur)
        mdb_cursor_close(pcur);
    if (dcur)
        mdb_cursor_close(dcur);
    store_tpack_free(&r.pb);
    store_bb_free(&r.bb);
    free(r.pos);
    free(r.dead);
    fz_buf_free(&r.val);
    const MDB_val *lp = lo.mv_size ? &lo : NULL, *hp = hi.mv_data ? &hi : NULL;
    int lr = 0;
    if (!rc && !(lr = delete_range(txn, s->dbi[STORE_DB_POST], lp, hp, 0)) &&
        !(lr = delete_range(txn, s->dbi[STORE_DB_DPOST], NULL, hp, 0)) &&
        !(lr = delete_range(txn, s->dbi[STORE_DB_DFIX], lp, hp, 1)))
        lr = put_at_ends(txn, s->dbi[STORE_DB_POST], &sink, es.ms_psize ? es.ms_psize : 4096);
    if (lr == MDB_CORRUPTED)
        rc = FZ_ECORRUPT;
    fz_buf_free(&sink);
    MDB_val mk = {5, "merge"};
    if (!rc && !lr && hp) {
        /* under way: the next step (or the next writer) goes on from hi */
        MDB_val mv = hi;
        lr = mdb_put(txn, s->dbi[STORE_DB_META], &mk, &mv, 0);
    } else if (!rc && !lr) {
        /* every term rewritten: no delta, no removed entries left */
        MDB_val bk = {5, "delta"}, dk = {4, "dead"};
        if (!(lr = mdb_drop(txn, s->dbi[STORE_DB_DPOST], 0)) && !(lr = mdb_drop(txn, s->dbi[STORE_DB_DFIX], 0)) &&
            ((lr = mdb_del(txn, s->dbi[STORE_DB_META], &bk, NULL)) == 0 || lr == MDB_NOTFOUND) &&
            ((lr = mdb_del(txn, s->dbi[STORE_DB_META], &dk, NULL)) == 0 || lr == MDB_NOTFOUND) &&
            ((lr = mdb_del(txn, s->dbi[STORE_DB_META], &mk, NULL)) == 0 || lr == MDB_NOTFOUND))
            lr = 0;
        *done = !lr;
    }
    if (!rc && lr)
        rc = store_lmdb_err(lr, "merging the delta tier", msg, msglen);
    return rc;
}

/* ---- entries ---- */

/* The text code (ON-DISK FORMAT above): ranks below TEXT_ONE are one
 * byte, the rest of the ranking two bytes led by TEXT_ONE .. TEXT_ASTRAL - 1;
 * TEXT_ASTRAL, TEXT_BMP and TEXT_BYTE lead the fallbacks.  The ranking is
 * tools/charrank.txt, made into $(BUILD)/gen/text_rank.h by tools/genrank.c.
 * Part of the format: a change of any of them bumps STORE_FORMAT. */
#include "gen/text_rank.h"
#define TEXT_ONE 224
#define TEXT_ASTRAL 0xFD
#define TEXT_BMP 0xFE
#define TEXT_BYTE 0xFF
_Static_assert(TEXT_RANK_N > TEXT_ONE && TEXT_RANK_N <= TEXT_ONE + (TEXT_ASTRAL - TEXT_ONE) * 256,
               "the ranking does not fit the text code");

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The rank of cp, or -1 when it has none. */
static int32_t text_rank(uint32_t cp)
{
    if (cp < 0x10000)
        return (int32_t)text_bmp_rank[cp] - 1;
    const uint32_t *at = bsearch(&cp, text_astral_cp, TEXT_ASTRAL_N, sizeof cp, cmp_u32);
    return at ? (int32_t)text_astral_rank[at - text_astral_cp] : -1;
}

/* The length of the UTF-8 sequence at p (at most n bytes) when it is a
 * well-formed one of 2 to 4 bytes, else 0. */
static size_t utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
    size_t len = p[0] >= 0xF8 ? 0 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
    if (!len || len > n)
        return 0;
    uint32_t c = p[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3F);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < least[len] || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000))
        return 0;
    *cp = c;
    return len;
}

/* Zigzag coding of signed numbers as varints. */
static uint64_t zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzz(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Appends v n, then the n bytes of s, to b (file records). */
static int put_str(fz_buf *b, const char *s, size_t n)
{
    int rc = fz_buf_varint(b, n);
    return rc ? rc : fz_buf_append(b, s, n);
}

/* Reads what put_str wrote: *s points into the value. */
static const uint8_t *get_str(const uint8_t *p, const uint8_t *end, const char **s, size_t *n)
{
    uint64_t len;
    if (!(p = fz_varint_get(p, end, &len)) || len > (uint64_t)(end - p))
        return NULL;
    *s = (const char *)p;
    *n = (size_t)len;
    return p + len;
}

/* Writes s (n bytes) in the text code to o, which has room for 3 x n
 * bytes (a byte grows to two at most, a character to no more than its
 * UTF-8 length but for the fallback of a 2-byte one, which takes 3);
 * returns the length written. */
static size_t text_encode(const uint8_t *p, size_t n, uint8_t *o)
{
    const uint8_t *end = p + n, *start = o;
    while (p < end) {
        uint32_t cp;
        size_t k;
        if (*p < 0x80) {
            cp = *p;
            k = 1;
        } else if (!(k = utf8_seq(p, (size_t)(end - p), &cp))) {
            *o++ = TEXT_BYTE;
            *o++ = *p++;
            continue;
        }
        int32_t r = text_rank(cp);
        if (r >= 0 && r < TEXT_ONE) {
            *o++ = (uint8_t)r;
        } else if (r >= 0) {
            r -= TEXT_ONE;
            *o++ = (uint8_t)(TEXT_ONE + (r >> 8));
            *o++ = (uint8_t)(r & 0xFF);
        } else if (cp < 0x10000) {
            *o++ = TEXT_BMP;
            *o++ = (uint8_t)(cp >> 8);
            *o++ = (uint8_t)(cp & 0xFF);
        } else {
            *o++ = TEXT_ASTRAL;
            *o++ = (uint8_t)(cp >> 16);
            *o++ = (uint8_t)(cp >> 8 & 0xFF);
            *o++ = (uint8_t)(cp & 0xFF);
        }
        p += k;
    }
    return (size_t)(o - start);
}

/* Appends v len, then s in the text code (len bytes), to b. */
static int put_text(fz_buf *b, const char *s, size_t n)
{
    /* the code goes after room for its length, then moves up to follow it */
    if (n > (SIZE_MAX - FZ_VARINT_MAX) / 3 || fz_buf_reserve(b, FZ_VARINT_MAX + 3 * n))
        return FZ_ENOMEM;
    uint8_t *start = (uint8_t *)b->p + b->len + FZ_VARINT_MAX;
    size_t len = text_encode((const uint8_t *)s, n, start);
    uint8_t *at = (uint8_t *)b->p + b->len;
    size_t vl = fz_varint_put(at, len);
    memmove(at + vl, start, len);
    b->len += vl + len;
    return FZ_OK;
}

int store_entry_encode(const store_entry *e, fz_buf *out)
{
    int rc = 0;
    rc |= fz_buf_varint(out, e->file_id);
    rc |= fz_buf_varint(out, e->line);
    rc |= fz_buf_varint(out, e->kind);
    rc |= fz_buf_varint(out, e->title_npos);
    rc |= fz_buf_varint(out, e->npos);
    rc |= fz_buf_varint(out, e->nsection);
    for (size_t i = 0; i < e->nsection; i++)
        rc |= put_text(out, e->section[i], e->section_len[i]);
    rc |= fz_buf_varint(out, e->nauthors);
    for (size_t i = 0; i < e->nauthors; i++)
        rc |= put_text(out, e->authors[i], e->author_len[i]);
    rc |= put_text(out, e->title, e->title_len);
    rc |= put_text(out, e->body, e->body_len);
    return rc ? FZ_ENOMEM : FZ_OK;
}

/* Decodes a string in the text code into memory from a (NUL-terminated);
 * NULL when it is malformed or memory runs out. */
static const uint8_t *get_text(const uint8_t *p, const uint8_t *end, fz_arena *a, const char **s, size_t *n)
{
    uint64_t len;
    if (!(p = fz_varint_get(p, end, &len)) || len > (uint64_t)(end - p))
        return NULL;
    const uint8_t *q = p, *qe = p + len;
    /* a code of one byte is a character of three bytes at most (genrank
     * keeps the first 256 ranks below 0x10000), longer codes never grow */
    uint8_t *out = fz_arena_alloc(a, (size_t)len * 3 + 1), *o = out;
    if (!out)
        return NULL;
    while (q < qe) {
        uint32_t c = *q++, r;
        if (c < TEXT_ONE) {
            r = c;
        } else if (c < TEXT_ASTRAL) {
            if (q >= qe || (r = TEXT_ONE + ((c - TEXT_ONE) << 8 | *q++)) >= TEXT_RANK_N)
                return NULL;
        } else if (c == TEXT_BYTE) {
            if (q >= qe)
                return NULL;
            *o++ = *q++;
            continue;
        } else {
            /* a character without rank: its code point in 2 or 3 bytes */
            size_t k = c == TEXT_BMP ? 2 : 3;
            if ((size_t)(qe - q) < k)
                return NULL;
            uint32_t cp = k == 2 ? (uint32_t)q[0] << 8 | q[1] : (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2];
            q += k;
            if ((k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp < 0xE000))
                return NULL;
            o += fz_utf8_encode(cp, (char *)o);
            continue;
        }
        memcpy(o, text_rank_utf8[r], 4);
        o += text_rank_len[r];
    }
    *o = 0;
    *s = (const char *)out;
    *n = (size_t)(o - out);
    return qe;
}

static const uint8_t *get_strs(const uint8_t *p, const uint8_t *end, fz_arena *a, size_t *count,
                               const char ***strs, size_t **lens)
{
    uint64_t n;
    if (!(p = fz_varint_get(p, end, &n)) || n > (uint64_t)(end - p))
        return NULL;
    *count = (size_t)n;
    *strs = fz_arena_alloc(a, (n ? n : 1) * sizeof **strs);
    *lens = fz_arena_alloc(a, (n ? n : 1) * sizeof **lens);
    if (!*strs || !*lens)
        return NULL;
    for (uint64_t i = 0; i < n; i++)
        if (!(p = get_text(p, end, a, &(*strs)[i], &(*lens)[i])))
            return NULL;
    return p;
}

int store_entry_decode(const void *val, size_t len, fz_arena *arena, store_entry *e)
{
    const uint8_t *p = val, *end = p + len;
    uint64_t x[5];
    for (int i = 0; i < 5; i++)
        if (!(p = fz_varint_get(p, end, &x[i])))
            return FZ_ECORRUPT;
    e->file_id = (uint32_t)x[0];
    e->line = (uint32_t)x[1];
    e->kind = (uint8_t)x[2];
    e->title_npos = (uint32_t)x[3];
    e->npos = (uint32_t)x[4];
    e->join = NULL;
    e->join_len = 0;
    if (!(p = get_strs(p, end, arena, &e->nsection, &e->section, &e->section_len)))
        return FZ_ECORRUPT;
    if (!(p = get_strs(p, end, arena, &e->nauthors, &e->authors, &e->author_len)))
        return FZ_ECORRUPT;
    if (!(p = get_text(p, end, arena, &e->title, &e->title_len)))
        return FZ_ECORRUPT;
    if (!(p = get_text(p, end, arena, &e->body, &e->body_len)))
        return FZ_ECORRUPT;
    return FZ_OK;
}

/* Skips what put_text wrote n times after v n (a list of sections or
 * authors); NULL when it runs past end. */
static const uint8_t *skip_strs(const uint8_t *p, const uint8_t *end)
{
    uint64_t n;
    if (!(p = fz_varint_get(p, end, &n)))
        return NULL;
    for (uint64_t i = 0; i < n && p; i++) {
        const char *s;
        size_t len;
        p = get_str(p, end, &s, &len);
    }
    return p;
}

/* ---- entry blocks (ENTRY BLOCKS above) ---- */

/* Moves b past the metadata of its next record: b->line and b->lists
 * become that record's; with e, its numbers go there too.  -1 when the
 * record runs past the metadata or breaks its rules (a line below 0, a
 * first record sharing the lists of none). */
static int entry_meta_step(store_entry_block *b, store_entry *e)
{
    const uint8_t *p = b->p;
    uint64_t x[5]; /* line (zigzag from the record before's), kind, title_npos, npos, shared */
    for (int i = 0; i < 5; i++)
        if (!(p = fz_varint_get(p, b->end, &x[i])))
            return -1;
    int64_t line = (int64_t)b->line + unzz(x[0]);
    if (line < 0 || line > (int64_t)UINT32_MAX || x[4] > 1 || (x[4] && !b->lists))
        return -1;
    if (!x[4]) {
        b->lists = p;
        if (!(p = skip_strs(p, b->end)) || !(p = skip_strs(p, b->end)))
            return -1;
    }
    b->p = p;
    b->line = (uint32_t)line;
    if (e) {
        e->file_id = b->file_id;
        e->line = b->line;
        e->kind = (uint8_t)x[1];
        e->title_npos = (uint32_t)x[2];
        e->npos = (uint32_t)x[3];
    }
    return 0;
}

/* Moves b past its next join map: *map, *len (NULL, 0 when it has none).
 * -1 when the map runs past the part. */
static int entry_join_step(store_entry_block *b, const uint8_t **map, size_t *len)
{
    uint64_t l;
    const uint8_t *p = fz_varint_get(b->j, b->jend, &l);
    if (!p || l > (uint64_t)(b->jend - p))
        return -1;
    *map = l ? p : NULL;
    *len = (size_t)l;
    b->j = p + l;
    return 0;
}

/* Opens b on the block value val: its metadata, checked to hold n
 * entries exactly when all is set (else each step checks what it reads);
 * *text gets where its text part starts (ENTRY BLOCKS above).  b->t stays
 * NULL. */
static int entry_block_meta_open(const void *val, size_t len, uint32_t last, int all, store_entry_block *b,
                                 const uint8_t **text)
{
    const uint8_t *p = val, *end = p + len;
    uint64_t n, mlen, file;
    if (!(p = fz_varint_get(p, end, &n)) || n < 1 || n > STORE_ENTRY_BLOCK || n - 1 > last)
        return FZ_ECORRUPT;
    if (!(p = fz_varint_get(p, end, &mlen)) || mlen > (uint64_t)(end - p))
        return FZ_ECORRUPT;
    const uint8_t *mend = p + mlen;
    if (!(p = fz_varint_get(p, mend, &file)) || file > UINT32_MAX)
        return FZ_ECORRUPT;
    b->file_id = (uint32_t)file;
    b->n = (uint32_t)n;
    b->first = last - (uint32_t)(n - 1);
    b->t = b->tend = NULL;
    /* n records' metadata fill the part exactly */
    store_entry_block w = *b;
    w.p = p;
    w.end = mend;
    w.lists = NULL;
    w.line = 0;
    for (uint64_t i = 0; i < n && all; i++)
        if (entry_meta_step(&w, NULL))
            return FZ_ECORRUPT;
    if (all && w.p != mend)
        return FZ_ECORRUPT;
    /* then the join maps: n of them fill their part exactly */
    uint64_t jlen;
    const uint8_t *j = fz_varint_get(mend, end, &jlen);
    if (!j || jlen > (uint64_t)(end - j))
        return FZ_ECORRUPT;
    w.j = j;
    w.jend = j + jlen;
    for (uint64_t i = 0; i < n && all; i++) {
        const uint8_t *m;
        size_t ml;
        if (entry_join_step(&w, &m, &ml))
            return FZ_ECORRUPT;
    }
    if (all && w.j != w.jend)
        return FZ_ECORRUPT;
    b->p = p;
    b->end = mend;
    b->j = j;
    b->jend = j + jlen;
    b->lists = NULL;
    b->line = 0;
    b->i = 0;
    *text = b->jend;
    return FZ_OK;
}

/* A group of a text part of method STORE_ENTRY_GROUPS (ENTRY BLOCKS
 * above): n entries, len bytes at p, raw or a frame. */
typedef struct {
    const uint8_t *p;
    size_t len;
    uint32_t n;
    int raw;
} text_group;

/* Reads the head of the group at p: NULL when it runs past end. */
static const uint8_t *text_group_head(const uint8_t *p, const uint8_t *end, text_group *g)
{
    uint64_t n, l;
    if (!(p = fz_varint_get(p, end, &n)) || !(p = fz_varint_get(p, end, &l)) || n < 1 || n > STORE_ENTRY_BLOCK ||
        (l >> 1) > (uint64_t)(end - p))
        return NULL;
    g->p = p;
    g->n = (uint32_t)n;
    g->raw = (int)(l & 1);
    g->len = (size_t)(l >> 1);
    return p + g->len;
}

/* The text of group g, at most cap bytes, into dst (a frame decompressed
 * with td by dc): its length, or SIZE_MAX when it does not decode. */
static size_t text_group_get(ZSTD_DCtx *dc, const store_tdict *td, const text_group *g, uint8_t *dst, size_t cap)
{
    if (g->raw) {
        if (g->len > cap)
            return SIZE_MAX;
        memcpy(dst, g->p, g->len);
        return g->len;
    }
    if (!td || ZSTD_isError(ZSTD_DCtx_setParameter(dc, ZSTD_d_format, ZSTD_f_zstd1_magicless)))
        return SIZE_MAX;
    size_t got = ZSTD_decompress_usingDDict(dc, dst, cap, g->p, g->len, td->dd);
    ZSTD_DCtx_setParameter(dc, ZSTD_d_format, ZSTD_f_zstd1);
    return ZSTD_isError(got) ? SIZE_MAX : got;
}

/* The length of group g's text (a frame's content size), at most cap;
 * SIZE_MAX when it has none or more. */
static size_t text_group_len(const text_group *g, size_t cap)
{
    if (g->raw)
        return g->len <= cap ? g->len : SIZE_MAX;
    ZSTD_frameHeader h;
    if (ZSTD_getFrameHeader_advanced(&h, g->p, g->len, ZSTD_f_zstd1_magicless) != 0 ||
        h.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN || h.frameContentSize > cap)
        return SIZE_MAX;
    return (size_t)h.frameContentSize;
}

/* Checks that n titles and bodies, each led by its length, fill [t, tend)
 * exactly. */
static int text_records_fill(const uint8_t *t, const uint8_t *tend, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t rl;
        if (!(t = fz_varint_get(t, tend, &rl)) || rl > (uint64_t)(tend - t))
            return FZ_ECORRUPT;
        t += rl;
    }
    return t == tend ? FZ_OK : FZ_ECORRUPT;
}

/* Where the text part [p, end) of b's block keeps its text: *rawlen, the
 * method, [*t, end) what follows the method byte.  The raw length is
 * checked against the stored one as the writer bounds it. */
static int entry_text_head(const uint8_t *p, const uint8_t *end, uint64_t *rawlen, uint8_t *method, const uint8_t **t)
{
    if (!(p = fz_varint_get(p, end, rawlen)) || p >= end)
        return FZ_ECORRUPT;
    *method = *p++;
    size_t clen = (size_t)(end - p);
    *t = p;
    if (*method == STORE_ENTRY_RAW)
        return *rawlen == clen ? FZ_OK : FZ_ECORRUPT;
    if (*method != STORE_ENTRY_ZSTD && *method != STORE_ENTRY_GROUPS)
        return FZ_ECORRUPT;
    /* the writer stores the text raw rather than let it shrink more than
     * this, so that a damaged length cannot ask for much memory */
    return *rawlen > (uint64_t)clen * STORE_ENTRY_MAX_RATIO || *rawlen == 0 ? FZ_ECORRUPT : FZ_OK;
}

/* Memory for n bytes of text: out's (emptied) when out is given, else
 * arena's; NULL when it runs out. */
static uint8_t *text_room(fz_buf *out, fz_arena *arena, size_t n)
{
    if (out) {
        out->len = 0;
        return fz_buf_reserve(out, n ? n : 1) ? NULL : (uint8_t *)out->p;
    }
    return fz_arena_alloc(arena, n ? n : 1);
}

/* Opens the text part [p, end) of b's block: v raw_len, the method byte,
 * the text.  Decompresses it with dc (NULL: zstd makes a context for the
 * call, which costs more than decompressing 5 KB) and the dictionary td
 * (groups of frames) into out when out is given (raw text is copied there
 * too), else into arena (raw text is read in place). */
static int entry_text_open(ZSTD_DCtx *dc, const store_tdict *td, const uint8_t *p, const uint8_t *end,
                           fz_arena *arena, fz_buf *out, store_entry_block *b)
{
    uint64_t rawlen;
    uint8_t method;
    const uint8_t *t;
    int rc = entry_text_head(p, end, &rawlen, &method, &t);
    if (rc)
        return rc;
    size_t clen = (size_t)(end - t);
    if (method == STORE_ENTRY_RAW && !out) {
        b->t = t;
    } else if (method == STORE_ENTRY_RAW) {
        uint8_t *raw = text_room(out, arena, clen);
        if (!raw)
            return FZ_ENOMEM;
        memcpy(raw, t, clen);
        out->len = clen;
        b->t = raw;
    } else {
        uint8_t *raw = text_room(out, arena, (size_t)rawlen);
        if (!raw)
            return out ? FZ_ENOMEM : FZ_ECORRUPT;
        ZSTD_DCtx *own = NULL;
        if (!dc && !(dc = own = ZSTD_createDCtx()))
            return FZ_ENOMEM;
        size_t got = 0;
        if (method == STORE_ENTRY_ZSTD) {
            got = ZSTD_decompressDCtx(dc, raw, (size_t)rawlen, t, clen);
            rc = ZSTD_isError(got) || got != rawlen ? FZ_ECORRUPT : FZ_OK;
        } else {
            /* v groups, then each: its head, its text or frame; the groups'
             * entries are the block's, their texts its text */
            uint64_t ng;
            uint32_t entries = 0;
            const uint8_t *q = fz_varint_get(t, end, &ng);
            rc = q && ng >= 1 && ng <= b->n ? FZ_OK : FZ_ECORRUPT;
            for (uint64_t i = 0; i < ng && !rc; i++) {
                text_group g;
                size_t k;
                if (!(q = text_group_head(q, end, &g)) || g.n > b->n - entries ||
                    (k = text_group_get(dc, td, &g, raw + got, (size_t)rawlen - got)) == SIZE_MAX ||
                    text_records_fill(raw + got, raw + got + k, g.n)) {
                    rc = FZ_ECORRUPT;
                    break;
                }
                got += k;
                entries += g.n;
            }
            if (!rc && (q != end || entries != b->n || got != rawlen))
                rc = FZ_ECORRUPT;
        }
        ZSTD_freeDCtx(own);
        if (rc)
            return rc;
        if (out)
            out->len = (size_t)rawlen;
        b->t = raw;
    }
    b->tend = b->t + rawlen;
    /* n titles and bodies, each led by its length, fill the text exactly */
    return text_records_fill(b->t, b->tend, b->n);
}

/* Opens the text of the one group of b's block (method STORE_ENTRY_GROUPS)
 * that holds the entry of index i, as entry_text_open does the whole text,
 * into out (given) or arena; *g0 gets the index of the group's first
 * entry, *gn its entries, *gp where its bytes are in the value (what a
 * cache knows it by).
 * FZ_ECORRUPT as entry_text_open. */
static int entry_group_open(ZSTD_DCtx *dc, const store_tdict *td, const uint8_t *t, const uint8_t *end, uint64_t rawlen,
                            uint32_t i, fz_arena *arena, fz_buf *out, store_entry_block *b, uint32_t *g0,
                            uint32_t *gn, const uint8_t **gp)
{
    uint64_t ng;
    const uint8_t *q = fz_varint_get(t, end, &ng);
    if (!q || ng < 1 || ng > b->n)
        return FZ_ECORRUPT;
    uint32_t at = 0;
    for (uint64_t k = 0; k < ng; k++) {
        text_group g;
        if (!(q = text_group_head(q, end, &g)) || g.n > b->n - at)
            return FZ_ECORRUPT;
        if (i >= at + g.n) {
            at += g.n;
            continue;
        }
        size_t len = text_group_len(&g, (size_t)rawlen);
        uint8_t *raw;
        if (len == SIZE_MAX)
            return FZ_ECORRUPT;
        if (!(raw = text_room(out, arena, len)))
            return out ? FZ_ENOMEM : FZ_ECORRUPT;
        if (text_group_get(dc, td, &g, raw, len) != len || text_records_fill(raw, raw + len, g.n))
            return FZ_ECORRUPT;
        if (out)
            out->len = len;
        b->t = raw;
        b->tend = raw + len;
        *g0 = at;
        *gn = g.n;
        *gp = g.p;
        return FZ_OK;
    }
    return FZ_ECORRUPT;
}

int store_entry_block_open(const store_tdict *d, const void *val, size_t len, uint32_t last, fz_arena *arena,
                           store_entry_block *b)
{
    const uint8_t *text;
    int rc = entry_block_meta_open(val, len, last, 1, b, &text);
    return rc ? rc : entry_text_open(NULL, d, text, (const uint8_t *)val + len, arena, NULL, b);
}

/* Moves b's text cursor past its next title and body (checked by open):
 * *rec, *rlen. */
static void entry_text_step(store_entry_block *b, const uint8_t **rec, size_t *rlen)
{
    uint64_t rl;
    *rec = fz_varint_get(b->t, b->tend, &rl);
    *rlen = (size_t)rl;
    b->t = *rec + rl;
}

/* Its title and body are empty when b has no text (store_entry_meta_get). */
int store_entry_block_next(store_entry_block *b, fz_arena *arena, store_entry *e)
{
    if (b->i >= b->n)
        return FZ_ENOTFOUND;
    e->id = b->first + b->i++;
    e->join = NULL;
    e->join_len = 0;
    if (entry_meta_step(b, e) || (b->j && entry_join_step(b, &e->join, &e->join_len)))
        return FZ_ECORRUPT;
    const uint8_t *p = get_strs(b->lists, b->end, arena, &e->nsection, &e->section, &e->section_len);
    if (!p || !get_strs(p, b->end, arena, &e->nauthors, &e->authors, &e->author_len))
        return FZ_ECORRUPT;
    if (!b->t) {
        e->title = e->body = "";
        e->title_len = e->body_len = 0;
        return FZ_OK;
    }
    const uint8_t *rec;
    size_t rlen;
    entry_text_step(b, &rec, &rlen);
    const uint8_t *end = rec + rlen;
    if (!(p = get_text(rec, end, arena, &e->title, &e->title_len)) || !get_text(p, end, arena, &e->body, &e->body_len))
        return FZ_ECORRUPT;
    return FZ_OK;
}

/* The block of the least key (last id) at or above id: *last its key, *v
 * its value, whose count is not read (it may hold ids above id only).
 * FZ_ENOTFOUND when there is none. */
static int entry_block_seek(store *s, MDB_txn *txn, uint32_t id, uint32_t *last, MDB_val *v)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[STORE_DB_ENTRY], &cur);
    if (rc)
        return store_lmdb_err(rc, "reading an entry", NULL, 0);
    uint8_t kb[4];
    fz_be32_put(kb, id);
    MDB_val k = {4, kb};
    rc = mdb_cursor_get(cur, &k, v, MDB_SET_RANGE);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        return FZ_ENOTFOUND;
    if (rc)
        return store_lmdb_err(rc, "reading an entry", NULL, 0);
    if (k.mv_size != 4)
        return FZ_ECORRUPT;
    *last = fz_be32_get(k.mv_data);
    return FZ_OK;
}

/* The first id of the block (last, v): from its count, the block's first
 * varint; -1 when the count is out of bounds. */
static int64_t entry_block_first(uint32_t last, const MDB_val *v)
{
    uint64_t n;
    if (!fz_varint_get(v->mv_data, (const uint8_t *)v->mv_data + v->mv_size, &n) || n < 1 ||
        n > STORE_ENTRY_BLOCK || n - 1 > last)
        return -1;
    return (int64_t)last - (int64_t)(n - 1);
}

/* The block holding id: *last its key, *v its value.  FZ_ENOTFOUND. */
static int entry_block_find(store *s, MDB_txn *txn, uint32_t id, uint32_t *last, MDB_val *v)
{
    int rc = entry_block_seek(s, txn, id, last, v);
    if (rc)
        return rc;
    int64_t first = entry_block_first(*last, v);
    if (first < 0)
        return FZ_ECORRUPT;
    return id >= first ? FZ_OK : FZ_ENOTFOUND;
}

int store_entry_exists(store *s, MDB_txn *txn, uint32_t id)
{
    uint32_t last;
    MDB_val v;
    return entry_block_find(s, txn, id, &last, &v);
}

/* Where a block of entries is: the value (vp, vlen) of store s in the
 * snapshot txnid, holding ids first .. last.  LMDB changes no page of a
 * snapshot while a reader of it (the same txnid) is open, so the same
 * place in the same snapshot is the same value, and an id in first .. last
 * needs no lookup (a write transaction's dirty pages would not be: readers
 * only, store.h). */
typedef struct {
    const store *s;
    size_t txnid;
    const void *vp;
    size_t vlen;
    uint32_t first, last;
} entry_place;

#define PLACE_UNCOUNTED UINT32_MAX /* a first id not read yet (cache_place) */

struct store_entry_cache {
    ZSTD_DCtx *dc;
    entry_place at; /* the block whose text is in text (valid set) */
    fz_buf text;         /* its text, decompressed: the whole block's, or of a block of
                          * groups the one group's at gp in the value */
    const uint8_t *gp;   /* NULL: the whole block's */
    uint32_t g0, gn;     /* the index of the group's first entry, its entries */
    int valid;
    /* blocks store_entry_cache_prefetch found, the next slot to fill
     * (round robin); a slot whose s is NULL is empty */
    entry_place pre[STORE_ENTRY_PREFETCH];
    unsigned npre;
};

/* Whether p is the place of id's block in store s's snapshot txnid. */
static int place_holds(const entry_place *p, const store *s, size_t txnid, uint32_t id)
{
    return p->s == s && p->txnid == txnid && id >= p->first && id <= p->last;
}

/* The block of id that c knows of without a lookup: its place, or NULL.
 * A place found ahead learns its first id here, from the block's count
 * (entry_block_find checked it), when the value is in the CPU's cache. */
static const entry_place *cache_place(store_entry_cache *c, const store *s, size_t txnid, uint32_t id)
{
    if (c->valid && place_holds(&c->at, s, txnid, id))
        return &c->at;
    for (unsigned i = 0; i < STORE_ENTRY_PREFETCH; i++) {
        entry_place *p = &c->pre[i];
        if (p->first == PLACE_UNCOUNTED && p->s == s && p->txnid == txnid && id <= p->last) {
            int64_t first = entry_block_first(p->last, &(MDB_val){p->vlen, (void *)p->vp});
            if (first < 0)
                p->s = NULL; /* left to entry_block_find, which reports it */
            else
                p->first = (uint32_t)first;
        }
        if (place_holds(p, s, txnid, id))
            return p;
    }
    return NULL;
}

int store_entry_cache_create(store_entry_cache **out)
{
    store_entry_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->dc = ZSTD_createDCtx())) {
        free(c);
        *out = NULL;
        return FZ_ENOMEM;
    }
    *out = c;
    return FZ_OK;
}

void store_entry_cache_destroy(store_entry_cache *c)
{
    if (!c)
        return;
    ZSTD_freeDCtx(c->dc);
    fz_buf_free(&c->text);
    free(c);
}

/* Takes the store's spare decompression context, else makes one (NULL
 * when memory runs out); dc_give gives it back unless another thread gave
 * one back meanwhile. */
static ZSTD_DCtx *dc_take(store *s)
{
    ZSTD_DCtx *dc = __atomic_exchange_n(&s->zd, NULL, __ATOMIC_ACQ_REL);
    return dc ? dc : ZSTD_createDCtx();
}

static void dc_give(store *s, ZSTD_DCtx *dc)
{
    ZSTD_DCtx *none = NULL;
    if (dc && !__atomic_compare_exchange_n(&s->zd, &none, dc, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        ZSTD_freeDCtx(dc);
}

/* store_entry_get through the cache c (NULL: none), or with meta set
 * store_entry_meta_get.  Of a block of groups only the group of id is
 * decompressed (the cache keeps that group). */
static int entry_get(store *s, MDB_txn *txn, store_entry_cache *c, uint32_t id, int meta, fz_arena *arena,
                     store_entry *e)
{
    uint32_t last;
    MDB_val v;
    int rc;
    size_t txnid = c ? mdb_txn_id(txn) : 0;
    const entry_place *pl = c ? cache_place(c, s, txnid, id) : NULL;
    if (pl) {
        /* a block c holds or found: the same value in the same snapshot */
        v.mv_data = (void *)pl->vp;
        v.mv_size = pl->vlen;
        last = pl->last;
    } else if ((rc = entry_block_find(s, txn, id, &last, &v))) {
        return rc;
    }
    store_entry_block b;
    const uint8_t *text, *end = (const uint8_t *)v.mv_data + v.mv_size;
    /* the steps to id check what they read; the rest of the metadata is
     * left to --check */
    if ((rc = entry_block_meta_open(v.mv_data, v.mv_size, last, 0, &b, &text)))
        return rc;
    uint64_t rawlen;
    uint8_t method;
    const uint8_t *t;
    uint32_t g0 = 0; /* the first entry whose text b.t holds */
    if (meta) {
        /* no text, no join maps */
        b.j = b.jend = NULL;
    } else if ((rc = entry_text_head(text, end, &rawlen, &method, &t))) {
        return rc;
    } else if (c && c->valid && place_holds(&c->at, s, txnid, id) && c->at.vp == v.mv_data &&
               (!c->gp || (id - b.first >= c->g0 && id - b.first - c->g0 < c->gn))) {
        /* the block (the group) the cache holds: its text is checked */
        b.t = (const uint8_t *)c->text.p;
        b.tend = b.t + c->text.len;
        g0 = c->gp ? c->g0 : 0;
    } else {
        ZSTD_DCtx *dc = c ? c->dc : dc_take(s);
        const uint8_t *gp = NULL;
        uint32_t gn = 0;
        if (c)
            c->valid = 0;
        if (!dc)
            rc = FZ_ENOMEM;
        else if (method == STORE_ENTRY_GROUPS)
            rc = entry_group_open(dc, s->td, t, end, rawlen, id - b.first, arena, c ? &c->text : NULL, &b, &g0, &gn,
                                  &gp);
        else
            rc = entry_text_open(dc, s->td, text, end, arena, c ? &c->text : NULL, &b);
        if (!c)
            dc_give(s, dc);
        if (rc)
            return rc;
        if (c) {
            c->at = (entry_place){s, txnid, v.mv_data, v.mv_size, b.first, last};
            c->gp = gp;
            c->g0 = g0;
            c->gn = gn;
            c->valid = 1;
        }
    }
    const uint8_t *rec;
    size_t rlen;
    for (; b.first + b.i < id; b.i++) {
        const uint8_t *map;
        size_t ml;
        if (entry_meta_step(&b, NULL) || (b.j && entry_join_step(&b, &map, &ml)))
            return FZ_ECORRUPT;
        if (b.t && b.i >= g0)
            entry_text_step(&b, &rec, &rlen);
    }
    return store_entry_block_next(&b, arena, e);
}

void store_entry_cache_prefetch(store *s, MDB_txn *txn, store_entry_cache *c, uint32_t id)
{
    if (!c)
        return;
    size_t txnid = mdb_txn_id(txn);
    if (cache_place(c, s, txnid, id))
        return;
    uint32_t last;
    MDB_val v;
    /* a lookup that fails is left to the read, which reports it; the
     * block's first id is read when a read asks for it (cache_place), not
     * here, where the value is not in the CPU's cache yet: nothing waits
     * for the first byte's load below */
    if (entry_block_seek(s, txn, id, &last, &v))
        return;
    c->pre[c->npre] = (entry_place){s, txnid, v.mv_data, v.mv_size, PLACE_UNCOUNTED, last};
    c->npre = (c->npre + 1) % STORE_ENTRY_PREFETCH;
    /* the reads to come touch most of a block's value: its metadata, join
     * maps and group heads, and its group's frame.  Its first byte is
     * read, so that a page the process has not touched yet is mapped here
     * (a read would fault on it anyway), not skipped by every prefetch
     * after a walk of the page tables: a query early in a process took
     * 0.22 ms instead of 0.20 */
    (void)*(const volatile uint8_t *)v.mv_data;
    for (size_t i = 64; i < v.mv_size; i += 64)
        __builtin_prefetch((const char *)v.mv_data + i);
}

int store_entry_get(store *s, MDB_txn *txn, uint32_t id, fz_arena *arena, store_entry *e)
{
    return entry_get(s, txn, NULL, id, 0, arena, e);
}

int store_entry_get_cached(store *s, MDB_txn *txn, store_entry_cache *c, uint32_t id, fz_arena *arena,
                           store_entry *e)
{
    return entry_get(s, txn, c, id, 0, arena, e);
}

int store_entry_meta_get(store *s, MDB_txn *txn, uint32_t id, fz_arena *arena, store_entry *e)
{
    return entry_get(s, txn, NULL, id, 1, arena, e);
}

/* Where a record (store_entry_encode's, len bytes) has its parts: x its
 * five numbers (file_id .. npos), [*ls, *te) its sections and authors,
 * then its title and body to the end.  -1 when it is malformed. */
static int entry_rec_split(const uint8_t *rec, size_t len, uint64_t x[5], size_t *ls, size_t *le)
{
    const uint8_t *p = rec, *end = p + len;
    for (int i = 0; i < 5; i++)
        if (!(p = fz_varint_get(p, end, &x[i])))
            return -1;
    *ls = (size_t)(p - rec);
    if (x[0] > UINT32_MAX || x[1] > UINT32_MAX || !(p = skip_strs(p, end)) || !(p = skip_strs(p, end)))
        return -1;
    *le = (size_t)(p - rec);
    return 0;
}

/* Makes s ready to compress groups with the text dictionary of txn's
 * index: 1 when it has one, 0 when it has none, else a negative FZ_*
 * code with msg (a dictionary zstd refuses is FZ_ECORRUPT). */
static int entry_dict_ready(store *s, MDB_txn *txn, char *msg, size_t msglen)
{
    MDB_val dk = {5, "tdict"}, dv;
    int rc = mdb_get(txn, s->dbi[STORE_DB_META], &dk, &dv);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return store_lmdb_err(rc, "reading the text dictionary", msg, msglen);
    /* an index's dictionary never changes once its blocks use it */
    if (s->tcd && s->tcd_len == dv.mv_size)
        return 1;
    ZSTD_freeCDict(s->tcd);
    s->tcd_len = 0;
    if (!(s->tcd = ZSTD_createCDict(dv.mv_data, dv.mv_size, STORE_ENTRY_LEVEL))) {
        fz_msg(msg, msglen, "the text dictionary (%zu bytes) does not load", dv.mv_size);
        return FZ_ECORRUPT;
    }
    s->tcd_len = dv.mv_size;
    /* frames without magic number, checksum or dictionary id, with their
     * content size (ENTRY BLOCKS above) */
    if ((!s->tzc && !(s->tzc = ZSTD_createCCtx())) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->tzc, ZSTD_c_format, ZSTD_f_zstd1_magicless)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->tzc, ZSTD_c_checksumFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->tzc, ZSTD_c_dictIDFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->tzc, ZSTD_c_contentSizeFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_refCDict(s->tzc, s->tcd)))
        return FZ_ENOMEM;
    return 1;
}

/* Walks the held records of w: the next one's id, record and join map;
 * NULL at the end.  (store_entry_add checked them as it held them.) */
static const uint8_t *hold_next(const uint8_t *p, const uint8_t *end, uint32_t *id, const uint8_t **rec, size_t *len,
                                const uint8_t **join, size_t *jlen)
{
    uint64_t v;
    if (p >= end)
        return NULL;
    p = fz_varint_get(p, end, &v);
    *id = (uint32_t)v;
    p = fz_varint_get(p, end, &v);
    *rec = p;
    *len = (size_t)v;
    p = fz_varint_get(p + v, end, &v);
    *join = p;
    *jlen = (size_t)v;
    return p + v;
}

/* A text dictionary being trained on a thread of its own, while the
 * writer holds on (hold_state 3): its samples, the titles and bodies of
 * the records held when it started in groups as the writer makes them, are
 * a copy, so the thread touches nothing of the writer's. */
typedef struct store_trainer store_trainer;
struct store_trainer {
    pthread_t th;
    pthread_mutex_t mu;
    int done;        /* the thread has finished (under mu) */
    fz_buf smp;      /* the samples, one after another */
    size_t *sizes, ns;
    void *dict;      /* STORE_TDICT_SIZE bytes */
    size_t dlen;     /* ZDICT_trainFromBuffer's answer: the length, or an error code */
};

/* The held text past which the writer waits for its trainer rather than
 * hold more (memory). */
#define TDICT_HOLD_MAX (4 * (size_t)STORE_TDICT_TRAIN)

static void trainer_free(store_trainer *tr)
{
    if (!tr)
        return;
    fz_buf_free(&tr->smp);
    free(tr->sizes);
    free(tr->dict);
    free(tr);
}

/* A trainer with the samples of w's held records (none started); NULL
 * when memory runs out. */
static store_trainer *trainer_create(const store_entry_writer *w)
{
    store_trainer *tr = calloc(1, sizeof *tr);
    if (!tr)
        return NULL;
    tr->sizes = malloc((w->hold_text / 2 + 1) * sizeof *tr->sizes);
    tr->dict = malloc(STORE_TDICT_SIZE);
    int rc = tr->sizes && tr->dict ? FZ_OK : FZ_ENOMEM;
    const uint8_t *p = (const uint8_t *)w->hold.p, *end = p + w->hold.len, *rec, *join;
    uint32_t id;
    size_t len, jlen, ls, le, glen = 0;
    uint64_t file = UINT64_MAX, x[5];
    while (!rc && (p = hold_next(p, end, &id, &rec, &len, &join, &jlen))) {
        entry_rec_split(rec, len, x, &ls, &le);
        size_t before = tr->smp.len;
        if (fz_buf_varint(&tr->smp, len - le) || fz_buf_append(&tr->smp, rec + le, len - le)) {
            rc = FZ_ENOMEM;
            break;
        }
        size_t add = tr->smp.len - before;
        if (tr->ns && x[0] == file && glen + add <= STORE_ENTRY_GROUP) {
            tr->sizes[tr->ns - 1] += add;
            glen += add;
        } else {
            tr->sizes[tr->ns++] = add;
            glen = add;
        }
        file = x[0];
    }
    if (rc) {
        trainer_free(tr);
        return NULL;
    }
    return tr;
}

static void trainer_run(store_trainer *tr)
{
    tr->dlen = ZDICT_trainFromBuffer(tr->dict, STORE_TDICT_SIZE, tr->smp.p, tr->sizes, (unsigned)tr->ns);
}

static void *trainer_main(void *arg)
{
    store_trainer *tr = arg;
    trainer_run(tr);
    pthread_mutex_lock(&tr->mu);
    tr->done = 1;
    pthread_mutex_unlock(&tr->mu);
    return NULL;
}

static int trainer_done(store_trainer *tr)
{
    pthread_mutex_lock(&tr->mu);
    int d = tr->done;
    pthread_mutex_unlock(&tr->mu);
    return d;
}

/* Waits for w's trainer thread, if any, and takes the trainer from w. */
static store_trainer *trainer_join(store_entry_writer *w)
{
    store_trainer *tr = w->trainer;
    w->trainer = NULL;
    if (tr) {
        pthread_join(tr->th, NULL);
        pthread_mutex_destroy(&tr->mu);
    }
    return tr;
}

/* Puts the dictionary tr trained in txn's index and makes it s's.  Text
 * zstd could not train on leaves the index without one (FZ_OK). */
static int trainer_install(store *s, MDB_txn *txn, store_trainer *tr, char *msg, size_t msglen)
{
    if (ZDICT_isError(tr->dlen))
        return FZ_OK;
    MDB_val dk = {5, "tdict"}, dv = {tr->dlen, tr->dict};
    store_tdict *td = NULL;
    int rc, r = mdb_put(txn, s->dbi[STORE_DB_META], &dk, &dv, 0);
    if (r)
        return store_lmdb_err(r, "writing the text dictionary", msg, msglen);
    if ((rc = store_tdict_create(tr->dict, tr->dlen, &td)))
        return rc;
    store_tdict_destroy(s->td);
    s->td = td;
    s->td_bad = 0;
    return entry_dict_ready(s, txn, msg, msglen) < 0 ? FZ_ENOMEM : FZ_OK;
}

/* Starts training the text dictionary on w's held records (their titles
 * and bodies, in groups of one file of at most STORE_ENTRY_GROUP bytes, as
 * the writer makes them) on a thread of its own: the writer holds on
 * (hold_state 3) until it is done.  When no thread starts it trains here
 * (the same dictionary).  FZ_OK or FZ_ENOMEM. */
static int entry_hold_release(store *s, MDB_txn *txn, store_entry_writer *w, char *msg, size_t msglen);
static int entry_train_start(store *s, MDB_txn *txn, store_entry_writer *w, char *msg, size_t msglen)
{
    store_trainer *tr = trainer_create(w);
    if (!tr)
        return FZ_ENOMEM;
    w->trainer = tr;
    w->hold_state = 3;
    if (pthread_mutex_init(&tr->mu, NULL) == 0) {
        if (pthread_create(&tr->th, NULL, trainer_main, tr) == 0)
            return FZ_OK;
        pthread_mutex_destroy(&tr->mu);
    }
    w->trainer = NULL;
    trainer_run(tr);
    int rc = trainer_install(s, txn, tr, msg, msglen);
    trainer_free(tr);
    w->hold_state = 2;
    return rc ? rc : entry_hold_release(s, txn, w, msg, msglen);
}

/* Ends w's holding: takes the dictionary its trainer made, or trains one
 * here when none was started and the held text is enough, then writes the
 * held records as store_entry_add writes any. */
static int entry_add_now(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t id, const void *rec, size_t len,
                         const void *join, size_t jlen, char *msg, size_t msglen);
static int entry_hold_release(store *s, MDB_txn *txn, store_entry_writer *w, char *msg, size_t msglen)
{
    int rc = FZ_OK;
    store_trainer *tr = trainer_join(w);
    if (!tr && w->hold_state == 1 && w->hold_text >= STORE_TDICT_MIN) {
        if (!(tr = trainer_create(w)))
            rc = FZ_ENOMEM;
        else
            trainer_run(tr);
    }
    w->hold_state = 2;
    if (tr && !rc)
        rc = trainer_install(s, txn, tr, msg, msglen);
    trainer_free(tr);
#ifdef __GLIBC__
    /* zstd's tables for training (some 20 MB), freed in the trainer's
     * malloc arena, which keeps what it is given back */
    if (tr)
        malloc_trim(0);
#endif
    const uint8_t *p = (const uint8_t *)w->hold.p, *end = p + w->hold.len, *rec, *join;
    uint32_t id;
    size_t len, jlen;
    while (!rc && (p = hold_next(p, end, &id, &rec, &len, &join, &jlen)))
        rc = entry_add_now(s, txn, w, id, rec, len, join, jlen, msg, msglen);
    fz_buf_free(&w->hold);
    w->hold_text = 0;
    return rc;
}

/* Makes w->val the block value of w's first m pending records (ENTRY
 * BLOCKS above): their metadata, the sections and authors of each written
 * only when they differ from the record before's, then their titles and
 * bodies in zstd, or raw when zstd does not make them smaller or shrinks
 * them past what a reader accepts (entry_block_open).  Returns its
 * length, 0 when memory runs out. */
static size_t entry_block_value(store *s, store_entry_writer *w, uint32_t m, int groups)
{
    if (!s->zc && !(s->zc = ZSTD_createCCtx()))
        return 0;
    uint32_t toff[STORE_ENTRY_BLOCK + 1]; /* where each record's title and body start in traw */
    w->val.len = w->mraw.len = w->traw.len = w->jraw.len = 0;
    const uint8_t *lists = NULL;
    size_t nlists = 0;
    uint32_t line = 0;
    int rc = fz_buf_varint(&w->mraw, w->file_id);
    for (uint32_t i = 0; i < m && !rc; i++) {
        size_t end = i + 1 < w->n ? w->off[i + 1] : w->raw.len, ls, le;
        uint64_t rl, x[5];
        const uint8_t *rec = fz_varint_get((const uint8_t *)w->raw.p + w->off[i], (const uint8_t *)w->raw.p + end, &rl);
        entry_rec_split(rec, (size_t)rl, x, &ls, &le); /* checked by store_entry_add */
        int shared = lists && nlists == le - ls && memcmp(lists, rec + ls, nlists) == 0;
        rc |= fz_buf_varint(&w->mraw, zz((int64_t)x[1] - (int64_t)line));
        for (int k = 2; k < 5; k++)
            rc |= fz_buf_varint(&w->mraw, x[k]);
        rc |= fz_buf_varint(&w->mraw, (uint64_t)shared);
        if (!shared) {
            rc |= fz_buf_append(&w->mraw, rec + ls, le - ls);
            lists = rec + ls;
            nlists = le - ls;
        }
        line = (uint32_t)x[1];
        toff[i] = (uint32_t)w->traw.len;
        rc |= fz_buf_varint(&w->traw, rl - le) || fz_buf_append(&w->traw, rec + le, (size_t)rl - le);
        /* the join map after the record, led by its length */
        uint64_t jl;
        const uint8_t *jm = fz_varint_get(rec + rl, (const uint8_t *)w->raw.p + end, &jl);
        rc |= fz_buf_varint(&w->jraw, jl) || fz_buf_append(&w->jraw, jm, (size_t)jl);
    }
    size_t raw = w->traw.len, bound = ZSTD_compressBound(raw);
    if (rc || fz_buf_varint(&w->val, m) || fz_buf_varint(&w->val, w->mraw.len) ||
        fz_buf_append(&w->val, w->mraw.p, w->mraw.len) || fz_buf_varint(&w->val, w->jraw.len) ||
        fz_buf_append(&w->val, w->jraw.p, w->jraw.len) || fz_buf_varint(&w->val, raw) ||
        fz_buf_reserve(&w->val, 1 + (bound > raw ? bound : raw)))
        return 0;
    toff[m] = (uint32_t)raw;
    if (groups) {
        /* groups of consecutive records of at most STORE_ENTRY_GROUP bytes
         * (one record alone may be more), each its own frame, or raw when
         * zstd does not shrink it.  The groups are cut from the first
         * pending record on, so those of a value made before for the same
         * records (a shorter or longer run while fitting a page) are the
         * same frames where they end at the same record: kept in grp, they
         * are not compressed again, only the groups from the first that
         * differs. */
        uint32_t ng = 0;
        w->grp.len = 0;
        for (uint32_t i = 0, j; i < m; i = j) {
            for (j = i + 1; j < m && toff[j + 1] - toff[i] <= STORE_ENTRY_GROUP; j++)
                ;
            if (ng < w->grp_n && w->grp_end[ng] == j) {
                w->grp.len = w->grp_off[++ng];
                continue;
            }
            w->grp_n = ng;
            const uint8_t *src = (const uint8_t *)w->traw.p + toff[i];
            size_t len = toff[j] - toff[i], gb = ZSTD_compressBound(len);
            if (fz_buf_varint(&w->grp, j - i) || fz_buf_reserve(&w->grp, 2 * FZ_VARINT_MAX + (gb > len ? gb : len)))
                return 0;
            uint8_t *z = (uint8_t *)w->grp.p + w->grp.len + 2 * FZ_VARINT_MAX;
            size_t c = ZSTD_compress2(s->tzc, z, gb, src, len);
            int stored_raw = ZSTD_isError(c) || c >= len;
            if (stored_raw) {
                memcpy(z, src, len);
                c = len;
            }
            /* the head, then the bytes moved up to follow it */
            size_t hl = fz_varint_put((uint8_t *)w->grp.p + w->grp.len, (uint64_t)c * 2 + (uint64_t)stored_raw);
            memmove(w->grp.p + w->grp.len + hl, z, c);
            w->grp.len += hl + c;
            w->grp_end[ng++] = j;
            w->grp_off[ng] = (uint32_t)w->grp.len;
            w->grp_n = ng;
        }
        uint8_t nb[FZ_VARINT_MAX];
        size_t c = fz_varint_put(nb, ng) + w->grp.len;
        if (c < raw && (uint64_t)c * STORE_ENTRY_MAX_RATIO >= raw) {
            uint8_t *v = (uint8_t *)w->val.p + w->val.len;
            v[0] = STORE_ENTRY_GROUPS;
            w->val.len += 1 + fz_varint_put(v + 1, ng);
            if (fz_buf_append(&w->val, w->grp.p, w->grp.len))
                return 0;
            return w->val.len;
        }
    }
    uint8_t *v = (uint8_t *)w->val.p + w->val.len;
    size_t c = groups ? 0 : ZSTD_compressCCtx(s->zc, v + 1, bound, w->traw.p, raw, STORE_ENTRY_LEVEL);
    if (!groups && !ZSTD_isError(c) && c < raw && (uint64_t)c * STORE_ENTRY_MAX_RATIO >= raw) {
        v[0] = STORE_ENTRY_ZSTD;
        w->val.len += 1 + c;
    } else {
        v[0] = STORE_ENTRY_RAW;
        memcpy(v + 1, w->traw.p, raw);
        w->val.len += 1 + raw;
    }
    return w->val.len;
}

/* Puts w->val as the block of w's first m pending records, which leave
 * the pending ones. */
typedef struct store_packer store_packer;
static int packer_out(store_packer *pk, uint32_t last, const fz_buf *val);
static int entry_block_put(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t m, char *msg, size_t msglen)
{
    if (w->packer) {
        /* on the packer's thread: the main thread puts it */
        if (packer_out(w->packer, w->first + m - 1, &w->val))
            return FZ_ENOMEM;
    } else {
        uint8_t kb[4];
        fz_be32_put(kb, w->first + m - 1);
        MDB_val k = {4, kb}, v = {w->val.len, w->val.p};
        int rc = mdb_put(txn, s->dbi[STORE_DB_ENTRY], &k, &v, MDB_APPEND);
        if (rc)
            return store_lmdb_err(rc, "writing an entry", msg, msglen);
        w->written += v.mv_size;
    }
    size_t cut = m < w->n ? w->off[m] : w->raw.len;
    memmove(w->raw.p, w->raw.p + cut, w->raw.len - cut);
    w->raw.len -= cut;
    for (uint32_t i = m; i < w->n; i++) {
        w->off[i - m] = w->off[i] - (uint32_t)cut;
    }
    w->n -= m;
    w->first += m;
    w->grp_n = 0;
    return FZ_OK;
}

/* Writes blocks of the pending records that fill a page of overflow
 * (ENTRY BLOCKS above): the longest run from the first whose value fits,
 * at least one record.  Unless all is set, a run that fits with room to
 * spare stays pending for the records to come (w->try_at says when to try
 * again). */
static int entry_blocks_fit(store *s, MDB_txn *txn, store_entry_writer *w, int all, char *msg, size_t msglen)
{
    if (!w->target) {
        MDB_stat st;
        w->target = mdb_env_stat(s->env, &st) == 0 && st.ms_psize > 1024 ? st.ms_psize - 16 : 4080;
    }
    while (w->n) {
        if (!all && w->n < STORE_ENTRY_BLOCK && w->raw.len < w->try_at)
            return FZ_OK;
        int groups = w->packer ? 1 : entry_dict_ready(s, txn, msg, msglen);
        if (groups < 0)
            return groups;
        size_t len = entry_block_value(s, w, w->n, groups);
        if (!len)
            return FZ_ENOMEM;
        uint32_t m = w->n;
        if (len <= w->target) {
            if (!all && w->n < STORE_ENTRY_BLOCK) {
                /* keep this value, and try again when the records to come
                 * may fill what is left, at this block's ratio */
                fz_buf t = w->fit;
                w->fit = w->val;
                w->val = t;
                w->fit_n = w->n;
                w->try_at = w->raw.len + (size_t)((double)(w->target - len) * (double)w->raw.len / (double)len);
                return FZ_OK;
            }
        } else if (w->fit_n && w->fit_n == m - 1) {
            /* one record too many: the value kept before it fits */
            fz_buf t = w->fit;
            w->fit = w->val;
            w->val = t;
            m = w->fit_n;
        } else {
            /* the longest run that fits; one record alone may not */
            while (m > 1) {
                m--;
                if (!(len = entry_block_value(s, w, m, groups)))
                    return FZ_ENOMEM;
                if (len <= w->target)
                    break;
            }
        }
        size_t raw = m < w->n ? w->off[m] : w->raw.len;
        double ratio = (double)w->val.len / (double)raw;
        int rc = entry_block_put(s, txn, w, m, msg, msglen);
        if (rc)
            return rc;
        w->fit_n = 0;
        /* the next block is tried first when its records may fill a page
         * at the ratio of this one */
        w->try_at = (size_t)((double)w->target / ratio * 0.97);
    }
    return FZ_OK;
}

/* The packer: a thread of the writer's own that makes the block values
 * (the fitting of a page, zstd) of an index with a text dictionary, while
 * the caller's thread goes on and puts the values it made, in order, in
 * LMDB (store_entry_add, store_entry_flush).  The blocks are those the
 * writer makes without it (entry_add_now, entry_blocks_fit): only where
 * they are put from differs. */
struct store_packer {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv_in, cv_out;
    store *s;
    store_entry_writer *w;
    fz_buf in, in2;   /* records given (v id, v len, record, v len, join map); the packer's */
    fz_buf out, out2; /* values made (be32 last id, v len, value); the caller's */
    fz_buf mine;      /* values the packer made since it last handed them over */
    int flush;        /* the caller asks for the pending block too (all) */
    int flushed;      /* the packer has made every value asked for */
    int quit;
    int rc;           /* the packer's first error (FZ_ENOMEM, FZ_ELIMIT) */
};

/* Records the caller may have given beyond what the packer has taken
 * before it waits (memory). */
#define PACKER_IN_MAX ((size_t)1 << 20)

static int packer_out(store_packer *pk, uint32_t last, const fz_buf *val)
{
    uint8_t kb[4];
    fz_be32_put(kb, last);
    return fz_buf_append(&pk->mine, kb, 4) || fz_buf_varint(&pk->mine, val->len) ||
           fz_buf_append(&pk->mine, val->p, val->len);
}

static int entry_add_now(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t id, const void *rec, size_t len,
                         const void *join, size_t jlen, char *msg, size_t msglen);
static void *packer_main(void *arg)
{
    store_packer *pk = arg;
    store_entry_writer *w = pk->w;
    char msg[256];
    pthread_mutex_lock(&pk->mu);
    for (;;) {
        while (!pk->quit && !pk->in.len && !pk->flush)
            pthread_cond_wait(&pk->cv_in, &pk->mu);
        if (pk->quit)
            break;
        fz_buf t = pk->in;
        pk->in = pk->in2;
        pk->in2 = t;
        pk->in.len = 0;
        int flush = pk->flush, rc = pk->rc;
        pk->flush = 0;
        pthread_cond_broadcast(&pk->cv_out); /* room in in */
        pthread_mutex_unlock(&pk->mu);
        const uint8_t *p = (const uint8_t *)pk->in2.p, *end = p + pk->in2.len, *rec, *join;
        uint32_t id;
        size_t len, jlen;
        while (!rc && (p = hold_next(p, end, &id, &rec, &len, &join, &jlen)))
            rc = entry_add_now(pk->s, NULL, w, id, rec, len, join, jlen, msg, sizeof msg);
        if (!rc && flush)
            rc = entry_blocks_fit(pk->s, NULL, w, 1, msg, sizeof msg);
        pthread_mutex_lock(&pk->mu);
        if (rc && !pk->rc)
            pk->rc = rc;
        if (pk->mine.len && fz_buf_append(&pk->out, pk->mine.p, pk->mine.len) && !pk->rc)
            pk->rc = FZ_ENOMEM;
        pk->mine.len = 0;
        if (flush && !pk->flush && !pk->in.len)
            pk->flushed = 1;
        pthread_cond_broadcast(&pk->cv_out);
    }
    pthread_mutex_unlock(&pk->mu);
    return NULL;
}

/* Starts w's packer (w has no pending records, s a text dictionary);
 * nothing when no thread starts (the writer makes its blocks itself). */
static void packer_start(store *s, store_entry_writer *w)
{
    store_packer *pk = calloc(1, sizeof *pk);
    if (!pk)
        return;
    pk->s = s;
    pk->w = w;
    if (pthread_mutex_init(&pk->mu, NULL)) {
        free(pk);
        return;
    }
    if (pthread_cond_init(&pk->cv_in, NULL) == 0) {
        if (pthread_cond_init(&pk->cv_out, NULL) == 0) {
            w->packer = pk;
            if (pthread_create(&pk->th, NULL, packer_main, pk) == 0)
                return;
            w->packer = NULL;
            pthread_cond_destroy(&pk->cv_out);
        }
        pthread_cond_destroy(&pk->cv_in);
    }
    pthread_mutex_destroy(&pk->mu);
    free(pk);
}

/* Stops w's packer, if any (its values not put are dropped). */
static void packer_stop(store_entry_writer *w)
{
    store_packer *pk = w->packer;
    if (!pk)
        return;
    pthread_mutex_lock(&pk->mu);
    pk->quit = 1;
    pthread_cond_broadcast(&pk->cv_in);
    pthread_mutex_unlock(&pk->mu);
    pthread_join(pk->th, NULL);
    w->packer = NULL;
    pthread_cond_destroy(&pk->cv_in);
    pthread_cond_destroy(&pk->cv_out);
    pthread_mutex_destroy(&pk->mu);
    fz_buf_free(&pk->in);
    fz_buf_free(&pk->in2);
    fz_buf_free(&pk->out);
    fz_buf_free(&pk->out2);
    fz_buf_free(&pk->mine);
    free(pk);
}

/* Puts the values pk has made so far, in order; with wait, first waits
 * until it has made all that was asked (flush).  The packer's error, or
 * LMDB's with msg. */
static int packer_drain(store *s, MDB_txn *txn, store_entry_writer *w, int wait, char *msg, size_t msglen)
{
    store_packer *pk = w->packer;
    pthread_mutex_lock(&pk->mu);
    while (wait && !pk->flushed && !pk->rc)
        pthread_cond_wait(&pk->cv_out, &pk->mu);
    fz_buf t = pk->out;
    pk->out = pk->out2;
    pk->out2 = t;
    pk->out.len = 0;
    int rc = pk->rc;
    pthread_mutex_unlock(&pk->mu);
    const uint8_t *p = (const uint8_t *)pk->out2.p, *end = p + pk->out2.len;
    while (!rc && p < end) {
        uint64_t vl;
        MDB_val k = {4, (void *)p}, v;
        p = fz_varint_get(p + 4, end, &vl);
        v.mv_size = (size_t)vl;
        v.mv_data = (void *)p;
        p += vl;
        int r = mdb_put(txn, s->dbi[STORE_DB_ENTRY], &k, &v, MDB_APPEND);
        if (r)
            rc = store_lmdb_err(r, "writing an entry", msg, msglen);
        w->written += v.mv_size;
    }
    pk->out2.len = 0;
    if (rc == FZ_ENOMEM || rc == FZ_ELIMIT)
        fz_msg(msg, msglen, "writing an entry: %s", fz_strerror(rc));
    return rc;
}

/* Gives w's packer a record, and puts the values it has made. */
static int packer_add(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t id, const void *rec, size_t len,
                      const void *join, size_t jlen, char *msg, size_t msglen)
{
    store_packer *pk = w->packer;
    pthread_mutex_lock(&pk->mu);
    while (pk->in.len >= PACKER_IN_MAX && !pk->rc)
        pthread_cond_wait(&pk->cv_out, &pk->mu);
    int rc = fz_buf_varint(&pk->in, id) || fz_buf_varint(&pk->in, len) || fz_buf_append(&pk->in, rec, len) ||
                     fz_buf_varint(&pk->in, jlen) || fz_buf_append(&pk->in, join, jlen)
                 ? FZ_ENOMEM
                 : FZ_OK;
    pk->flushed = 0;
    pthread_cond_signal(&pk->cv_in);
    pthread_mutex_unlock(&pk->mu);
    return rc ? rc : packer_drain(s, txn, w, 0, msg, msglen);
}

/* Has w's packer make the pending block too, and puts every value. */
static int packer_flush(store *s, MDB_txn *txn, store_entry_writer *w, char *msg, size_t msglen)
{
    store_packer *pk = w->packer;
    pthread_mutex_lock(&pk->mu);
    pk->flush = 1;
    pk->flushed = 0;
    pthread_cond_signal(&pk->cv_in);
    pthread_mutex_unlock(&pk->mu);
    int rc = packer_drain(s, txn, w, 1, msg, msglen);
    /* the packer waits for records: its buffers go back (a batch's end,
     * when a build holds the most memory) */
    pthread_mutex_lock(&pk->mu);
    if (pk->flushed) {
        fz_buf_free(&pk->in);
        fz_buf_free(&pk->in2);
        fz_buf_free(&pk->mine);
        fz_buf_free(&pk->out);
    }
    pthread_mutex_unlock(&pk->mu);
    fz_buf_free(&pk->out2);
    return rc;
}

int store_entry_add(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t id, const void *rec, size_t len,
                    const void *join, size_t jlen, char *msg, size_t msglen)
{
    uint64_t x[5];
    size_t ls, le;
    if (entry_rec_split(rec, len, x, &ls, &le)) {
        fz_msg(msg, msglen, "writing an entry: its record does not decode");
        return FZ_EINVAL;
    }
    if (!w->hold_state) {
        /* an index without a dictionary: hold the text to train one */
        int r = entry_dict_ready(s, txn, msg, msglen);
        if (r < 0)
            return r;
        w->hold_state = r ? 2 : 1;
    }
    if (w->hold_state == 1 || w->hold_state == 3) {
        if (len > UINT32_MAX || jlen > UINT32_MAX)
            return FZ_ELIMIT;
        if (fz_buf_varint(&w->hold, id) || fz_buf_varint(&w->hold, len) || fz_buf_append(&w->hold, rec, len) ||
            fz_buf_varint(&w->hold, jlen) || fz_buf_append(&w->hold, join, jlen))
            return FZ_ENOMEM;
        w->hold_text += len - le;
        if (w->hold_state == 1)
            return w->hold_text >= STORE_TDICT_TRAIN ? entry_train_start(s, txn, w, msg, msglen) : FZ_OK;
        /* the dictionary is the first STORE_TDICT_TRAIN bytes' however
         * long it takes: what is held meanwhile waits for it */
        return trainer_done(w->trainer) || w->hold_text >= TDICT_HOLD_MAX ? entry_hold_release(s, txn, w, msg, msglen)
                                                                          : FZ_OK;
    }
    return entry_add_now(s, txn, w, id, rec, len, join, jlen, msg, msglen);
}

/* store_entry_add without holding: w's packer makes the blocks when the
 * index has a text dictionary (started here), else the writer itself. */
static int entry_add_now(store *s, MDB_txn *txn, store_entry_writer *w, uint32_t id, const void *rec, size_t len,
                         const void *join, size_t jlen, char *msg, size_t msglen)
{
    if (txn && !w->packer && !w->n && !w->packer_off) {
        int r = entry_dict_ready(s, txn, msg, msglen);
        if (r < 0)
            return r;
        if (r) {
            if (!w->target) {
                MDB_stat st;
                w->target = mdb_env_stat(s->env, &st) == 0 && st.ms_psize > 1024 ? st.ms_psize - 16 : 4080;
            }
            packer_start(s, w);
        }
        w->packer_off = !w->packer;
    }
    if (txn && w->packer)
        return packer_add(s, txn, w, id, rec, len, join, jlen, msg, msglen);
    uint64_t x[5];
    size_t ls, le;
    entry_rec_split(rec, len, x, &ls, &le); /* checked by store_entry_add */
    uint64_t file = x[0];
    int rc;
    if (w->n && (file != w->file_id || id != w->first + w->n) &&
        (rc = entry_blocks_fit(s, txn, w, 1, msg, msglen)))
        return rc;
    if (!w->n) {
        w->first = id;
        w->file_id = (uint32_t)file;
    }
    if (len > UINT32_MAX || jlen > UINT32_MAX || w->raw.len > UINT32_MAX - 2 * FZ_VARINT_MAX - len - jlen)
        return FZ_ELIMIT;
    w->off[w->n] = (uint32_t)w->raw.len;
    if (fz_buf_varint(&w->raw, len) || fz_buf_append(&w->raw, rec, len) || fz_buf_varint(&w->raw, jlen) ||
        fz_buf_append(&w->raw, join, jlen))
        return FZ_ENOMEM;
    w->n++;
    return entry_blocks_fit(s, txn, w, 0, msg, msglen);
}

int store_entry_flush(store *s, MDB_txn *txn, store_entry_writer *w, char *msg, size_t msglen)
{
    int rc = w->hold_state == 1 || w->hold_state == 3 ? entry_hold_release(s, txn, w, msg, msglen) : FZ_OK;
    if (!rc && w->packer)
        return packer_flush(s, txn, w, msg, msglen);
    return rc ? rc : entry_blocks_fit(s, txn, w, 1, msg, msglen);
}

void store_entry_writer_free(store_entry_writer *w)
{
    trainer_free(trainer_join(w));
    packer_stop(w);
    w->packer_off = 0;
    if (w->hold_state == 3)
        w->hold_state = 0;
    fz_buf_free(&w->raw);
    fz_buf_free(&w->val);
    fz_buf_free(&w->fit);
    fz_buf_free(&w->mraw);
    fz_buf_free(&w->traw);
    fz_buf_free(&w->jraw);
    fz_buf_free(&w->hold);
    fz_buf_free(&w->grp);
    w->grp_n = 0;
    w->hold_text = 0;
    w->fit_n = 0;
    w->n = 0;
}

int store_entry_del_range(store *s, MDB_txn *txn, uint32_t first, uint32_t n, char *msg, size_t msglen)
{
    uint64_t end = (uint64_t)first + n;
    int rc = 0;
    while (n && !rc) {
        /* the first block left whose last id is in the range (a fresh
         * lookup each time: no cursor is kept across a deletion) */
        MDB_cursor *cur;
        if ((rc = mdb_cursor_open(txn, s->dbi[STORE_DB_ENTRY], &cur)))
            break;
        uint8_t kb[4];
        fz_be32_put(kb, first);
        MDB_val k = {4, kb}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (!rc && (k.mv_size != 4 || fz_be32_get(k.mv_data) >= end))
            rc = MDB_NOTFOUND;
        if (!rc)
            rc = mdb_cursor_del(cur, 0);
        mdb_cursor_close(cur);
    }
    if (rc && rc != MDB_NOTFOUND)
        return store_lmdb_err(rc, "removing an entry", msg, msglen);
    return FZ_OK;
}

/* ---- files ---- */


/* The value under path in db ("file", "catalog"): FZ_ENOTFOUND, LMDB errors. */
static int path_get(store *s, MDB_txn *txn, enum store_db db, const char *path, MDB_val *v, const char *what)
{
    MDB_val k = {strlen(path), (void *)path};
    int rc = mdb_get(txn, s->dbi[db], &k, v);
    if (rc == MDB_NOTFOUND)
        return FZ_ENOTFOUND;
    return rc ? store_lmdb_err(rc, what, NULL, 0) : FZ_OK;
}

int store_file_get(store *s, MDB_txn *txn, const char *path, store_file *f)
{
    MDB_val v;
    int rc = path_get(s, txn, STORE_DB_FILE, path, &v, "reading a file record");
    if (rc)
        return rc;
    const uint8_t *p = v.mv_data, *end = p + v.mv_size;
    uint64_t x[6];
    for (int i = 0; i < 6; i++)
        if (!(p = fz_varint_get(p, end, &x[i])))
            return FZ_ECORRUPT;
    memset(f, 0, sizeof *f);
    f->file_id = (uint32_t)x[0];
    f->first_id = (uint32_t)x[1];
    f->nentries = (uint32_t)x[2];
    f->nbytes = x[3];
    f->mtime = unzz(x[4]);
    f->indexed_at = unzz(x[5]);
    const char *enc;
    size_t n;
    if (!(p = get_str(p, end, &enc, &n)))
        return FZ_ECORRUPT;
    if (n >= sizeof f->encoding)
        n = sizeof f->encoding - 1;
    memcpy(f->encoding, enc, n);
    f->encoding[n] = 0;
    if (!(p = get_str(p, end, &f->volume, &f->volume_len)))
        return FZ_ECORRUPT;
    return FZ_OK;
}

int store_file_put(store *s, MDB_txn *txn, const char *path, const store_file *f)
{
    fz_buf b = {0};
    int rc = 0;
    rc |= fz_buf_varint(&b, f->file_id);
    rc |= fz_buf_varint(&b, f->first_id);
    rc |= fz_buf_varint(&b, f->nentries);
    rc |= fz_buf_varint(&b, f->nbytes);
    rc |= fz_buf_varint(&b, zz(f->mtime));
    rc |= fz_buf_varint(&b, zz(f->indexed_at));
    rc |= put_str(&b, f->encoding, strlen(f->encoding));
    rc |= put_str(&b, f->volume ? f->volume : "", f->volume ? f->volume_len : 0);
    if (rc) {
        fz_buf_free(&b);
        return FZ_ENOMEM;
    }
    MDB_val k = {strlen(path), (void *)path}, v = {b.len, b.p};
    rc = mdb_put(txn, s->dbi[STORE_DB_FILE], &k, &v, 0);
    if (!rc) {
        uint8_t kb[4];
        fz_be32_put(kb, f->file_id);
        MDB_val ik = {4, kb}, iv = {strlen(path), (void *)path};
        rc = mdb_put(txn, s->dbi[STORE_DB_FILEID], &ik, &iv, 0);
    }
    fz_buf_free(&b);
    return rc ? store_lmdb_err(rc, "writing a file record", NULL, 0) : FZ_OK;
}

int store_file_path(store *s, MDB_txn *txn, uint32_t file_id, const char **path, size_t *len)
{
    uint8_t kb[4];
    fz_be32_put(kb, file_id);
    MDB_val k = {4, kb}, v;
    int rc = mdb_get(txn, s->dbi[STORE_DB_FILEID], &k, &v);
    if (rc == MDB_NOTFOUND)
        return FZ_ENOTFOUND;
    if (rc)
        return store_lmdb_err(rc, "reading a file name", NULL, 0);
    *path = v.mv_data;
    *len = v.mv_size;
    return FZ_OK;
}

/* ---- the catalog ---- */

int store_catalog_get(store *s, MDB_txn *txn, const char *path, store_catalog *c)
{
    MDB_val v;
    int rc = path_get(s, txn, STORE_DB_CATALOG, path, &v, "reading a catalog record");
    if (rc)
        return rc;
    const uint8_t *p = v.mv_data, *end = p + v.mv_size;
    uint64_t flags, y = 0;
    memset(c, 0, sizeof *c);
    if (!(p = get_str(p, end, &c->title, &c->title_len)) || !(p = get_str(p, end, &c->place, &c->place_len)) ||
        !(p = fz_varint_get(p, end, &flags)) || flags > 1 || ((flags & 1) && !(p = fz_varint_get(p, end, &y))) ||
        p != end)
        return FZ_ECORRUPT;
    if (flags & 1) {
        int64_t yy = unzz(y);
        if (yy < FZ_YEAR_MIN || yy > FZ_YEAR_MAX)
            return FZ_ECORRUPT;
        c->has_year = 1;
        c->year = (int32_t)yy;
    }
    return FZ_OK;
}

int store_catalog_put(store *s, MDB_txn *txn, const char *path, const store_catalog *c)
{
    if (c->has_year && (c->year < FZ_YEAR_MIN || c->year > FZ_YEAR_MAX))
        return FZ_EINVAL;
    fz_buf b = {0};
    int rc = put_str(&b, c->title ? c->title : "", c->title ? c->title_len : 0);
    rc |= put_str(&b, c->place ? c->place : "", c->place ? c->place_len : 0);
    rc |= fz_buf_varint(&b, c->has_year ? 1 : 0);
    if (c->has_year)
        rc |= fz_buf_varint(&b, zz(c->year));
    if (rc) {
        fz_buf_free(&b);
        return FZ_ENOMEM;
    }
    MDB_val k = {strlen(path), (void *)path}, v = {b.len, b.p};
    rc = mdb_put(txn, s->dbi[STORE_DB_CATALOG], &k, &v, 0);
    fz_buf_free(&b);
    return rc ? store_lmdb_err(rc, "writing a catalog record", NULL, 0) : FZ_OK;
}

int store_catalog_del(store *s, MDB_txn *txn, const char *path)
{
    MDB_val k = {strlen(path), (void *)path};
    int rc = mdb_del(txn, s->dbi[STORE_DB_CATALOG], &k, NULL);
    return rc && rc != MDB_NOTFOUND ? store_lmdb_err(rc, "removing a catalog record", NULL, 0) : FZ_OK;
}

/* ---- volumes ---- */

void store_volume_basename(const char *path, size_t len, size_t *off, size_t *n)
{
    size_t b = len;
    while (b > 0 && path[b - 1] != '/')
        b--;
    size_t e = len;
    while (e > b + 1 && path[e - 1] != '.')
        e--;
    if (e > b + 1 && path[e - 1] == '.')
        e--; /* the dot */
    else
        e = len;
    *off = b;
    *n = e - b;
}

int store_volume_get(store *s, MDB_txn *txn, uint32_t file_id, store_volume *v)
{
    memset(v, 0, sizeof *v);
    v->file_id = file_id;
    v->place = "";
    int rc = store_file_path(s, txn, file_id, &v->path, &v->path_len);
    if (rc)
        return rc;
    char stack[1024], *path = v->path_len < sizeof stack ? stack : malloc(v->path_len + 1);
    if (!path)
        return FZ_ENOMEM;
    memcpy(path, v->path, v->path_len);
    path[v->path_len] = 0;
    store_file f;
    store_catalog c;
    rc = store_file_get(s, txn, path, &f);
    int crc = rc ? rc : store_catalog_get(s, txn, path, &c);
    if (path != stack)
        free(path);
    if (rc)
        return rc == FZ_ENOTFOUND ? FZ_ECORRUPT : rc; /* a file id without its record */
    if (crc && crc != FZ_ENOTFOUND)
        return crc;
    v->first_id = f.first_id;
    v->nentries = f.nentries;
    if (!crc && c.title_len) {
        v->title = c.title;
        v->title_len = c.title_len;
        v->source = STORE_VOL_CATALOG;
    } else if (f.volume_len) {
        v->title = f.volume;
        v->title_len = f.volume_len;
        v->source = STORE_VOL_TEXT;
    } else {
        size_t off, n;
        store_volume_basename(v->path, v->path_len, &off, &n);
        v->title = v->path + off;
        v->title_len = n;
        v->source = STORE_VOL_FILENAME;
    }
    if (!crc) {
        v->place = c.place;
        v->place_len = c.place_len;
        v->has_year = c.has_year;
        v->year = c.year;
    }
    return FZ_OK;
}

/* ---- joins ---- */

int store_join_get(store *s, MDB_txn *txn, uint32_t id, const uint8_t **map, size_t *len)
{
    *map = NULL;
    *len = 0;
    uint32_t last;
    MDB_val v;
    int rc = entry_block_find(s, txn, id, &last, &v);
    if (rc)
        return rc;
    store_entry_block b;
    const uint8_t *text;
    if ((rc = entry_block_meta_open(v.mv_data, v.mv_size, last, 0, &b, &text)))
        return rc;
    for (uint32_t i = b.first; i <= id; i++)
        if (entry_join_step(&b, map, len))
            return FZ_ECORRUPT;
    return *map ? FZ_OK : FZ_ENOTFOUND;
}

/* ---- dlen ---- */

uint32_t store_dlen_get(store *s, MDB_txn *txn, store_dlen_cache *c, uint32_t id)
{
    uint32_t chunk = id / STORE_DLEN_CHUNK;
    if (!c->lens || c->chunk != chunk) {
        store_dlen_slot *sl = c->slots ? &c->slots[chunk & (c->nslots - 1)] : NULL;
        c->chunk = chunk;
        if (sl && sl->lens && sl->chunk == chunk) {
            c->lens = sl->lens;
            c->n = sl->n;
        } else {
            uint8_t kb[4];
            fz_be32_put(kb, chunk);
            MDB_val k = {4, kb}, v;
            if (mdb_get(txn, s->dbi[STORE_DB_DLEN], &k, &v) || v.mv_size % 4) {
                c->lens = NULL;
                c->n = 0;
                return 0;
            }
            c->lens = v.mv_data;
            c->n = v.mv_size / 4;
            if (sl)
                *sl = (store_dlen_slot){c->lens, chunk, (uint32_t)c->n};
        }
    }
    uint32_t i = id % STORE_DLEN_CHUNK, x;
    if (!c->lens || i >= c->n)
        return 0;
    memcpy(&x, c->lens + i, 4);
    return x;
}

int store_dlen_put(store *s, MDB_txn *txn, uint32_t first, const uint32_t *lens, size_t n,
                   char *msg, size_t msglen)
{
    uint32_t buf[STORE_DLEN_CHUNK];
    size_t done = 0;
    while (done < n) {
        uint32_t id = first + (uint32_t)done;
        uint32_t chunk = id / STORE_DLEN_CHUNK, off = id % STORE_DLEN_CHUNK;
        uint8_t kb[4];
        fz_be32_put(kb, chunk);
        MDB_val k = {4, kb}, v;
        memset(buf, 0, sizeof buf);
        int rc = mdb_get(txn, s->dbi[STORE_DB_DLEN], &k, &v);
        if (rc == 0 && v.mv_size <= sizeof buf)
            memcpy(buf, v.mv_data, v.mv_size);
        else if (rc && rc != MDB_NOTFOUND)
            return store_lmdb_err(rc, "reading entry lengths", msg, msglen);
        size_t take = STORE_DLEN_CHUNK - off;
        if (take > n - done)
            take = n - done;
        memcpy(buf + off, lens + done, take * 4);
        size_t nz = 0;
        while (nz < STORE_DLEN_CHUNK && !buf[nz])
            nz++;
        MDB_val nv = {sizeof buf, buf};
        if (nz == STORE_DLEN_CHUNK) /* its entries all removed: no record */
            rc = rc ? 0 : mdb_del(txn, s->dbi[STORE_DB_DLEN], &k, NULL);
        else
            rc = mdb_put(txn, s->dbi[STORE_DB_DLEN], &k, &nv, 0);
        if (rc)
            return store_lmdb_err(rc, "writing entry lengths", msg, msglen);
        done += take;
    }
    return FZ_OK;
}

/* ---- postings ---- */

size_t store_post_key(uint8_t *key, int field, const char *term, size_t term_len, uint32_t first)
{
    key[0] = (uint8_t)field;
    memcpy(key + 1, term, term_len);
    key[1 + term_len] = 0;
    fz_be32_put(key + 2 + term_len, first);
    return term_len + 6;
}

/* ---- bit-packed runs (BLOCK STREAMS above) ---- */

/* Run modes: the first byte of a run. */
enum { RUN_FOR_MAX = 32, RUN_VARINT = 0x40, RUN_PFOR = 0x80 };

static inline uint32_t bits32(uint32_t v) { return v ? 32 - (uint32_t)__builtin_clz(v) : 0; }
static inline uint32_t vlen32(uint32_t v) { return v < 0x80 ? 1 : (bits32(v) + 6) / 7; }

/* Packs n values minus lo, each masked to w bits (LSB first), at p;
 * returns the end. */
static uint8_t *bits_put(uint8_t *p, const uint32_t *v, uint32_t n, uint32_t w, uint32_t lo)
{
    if (w == 0)
        return p;
    uint64_t acc = 0, mask = ((uint64_t)1 << w) - 1;
    uint32_t have = 0;
    for (uint32_t i = 0; i < n; i++) {
        acc |= ((uint64_t)(v[i] - lo) & mask) << have;
        have += w;
        while (have >= 8) {
            *p++ = (uint8_t)acc;
            acc >>= 8;
            have -= 8;
        }
    }
    if (have)
        *p++ = (uint8_t)acc;
    return p;
}

static inline size_t packed_bytes(uint32_t n, uint32_t w) { return ((size_t)n * w + 7) / 8; }

/* Eight bytes at p as a little-endian number. */
static inline uint64_t load_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
#else
    return le64_get(p);
#endif
}

/* Value i of w-bit values packed at p (nbytes of them). */
static inline uint32_t bits_at(const uint8_t *p, size_t nbytes, uint32_t w, uint32_t i)
{
    size_t o = (size_t)i * w, at = o >> 3;
    uint64_t x = 0;
    if (at + 8 <= nbytes)
        x = load_le64(p + at);
    else
        for (size_t k = 0; k < 5 && at + k < nbytes; k++)
            x |= (uint64_t)p[at + k] << (8 * k);
    return (uint32_t)((x >> (o & 7)) & (((uint64_t)1 << w) - 1));
}

/* Unpacks n values of w bits at p into v, lo added to each (the caller
 * checked that the packed bytes are there, and that lo plus any w bits
 * fits 32 bits); returns the end.  Each value is one unaligned 64-bit
 * little-endian load while 8 bytes are left before end, byte by byte
 * after. */
static const uint8_t *bits_get(const uint8_t *p, const uint8_t *end, uint32_t *v, uint32_t n, uint32_t w,
                               uint32_t lo)
{
    size_t nbytes = packed_bytes(n, w);
    if (w == 0) {
        for (uint32_t i = 0; i < n; i++)
            v[i] = lo;
        return p + nbytes;
    }
    uint64_t mask = ((uint64_t)1 << w) - 1;
    size_t room = (size_t)(end - p);
    uint32_t i = 0;
    /* groups of 8 values, w bytes each: the places of a group's values in
     * it are the same for every group, so none is counted on from the one
     * before (while a group's last load has 8 bytes before end) */
    uint32_t gat[8], sh[8];
    for (uint32_t k = 0; k < 8; k++) {
        gat[k] = k * w >> 3;
        sh[k] = k * w & 7;
    }
    if (room >= (size_t)gat[7] + 8) {
        size_t groups = (room - gat[7] - 8) / w + 1;
        if (groups > n / 8)
            groups = n / 8;
        for (size_t g = 0; g < groups; g++, i += 8) {
            const uint8_t *q = p + g * w;
            for (uint32_t k = 0; k < 8; k++)
                v[i + k] = lo + (uint32_t)((load_le64(q + gat[k]) >> sh[k]) & mask);
        }
    }
    for (size_t o = (size_t)i * w; i < n && (o >> 3) + 8 <= room; i++, o += w)
        v[i] = lo + (uint32_t)((load_le64(p + (o >> 3)) >> (o & 7)) & mask);
    for (size_t o = (size_t)i * w; i < n; i++, o += w) {
        uint64_t x = 0;
        size_t at = o >> 3;
        for (size_t k = 0; k < 5 && at + k < nbytes; k++)
            x |= (uint64_t)p[at + k] << (8 * k);
        v[i] = lo + (uint32_t)((x >> (o & 7)) & mask);
    }
    return p + nbytes;
}


/* Appends a run of n (1 .. STORE_RUN) values to out in its smallest mode:
 * frame of reference (the least value, then each minus it in w bits),
 * varints, or patched frame of reference (the values over w bits after
 * the least are exceptions: their low w bits packed, their index and high
 * bits after).  Ties go to the mode named first. */
static int run_put(fz_buf *out, const uint32_t *v, uint32_t n)
{
    uint32_t lo = v[0], hi = v[0];
    size_t vsize = 1;
    for (uint32_t i = 0; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
        vsize += vlen32(v[i]);
    }
    uint32_t w = bits32(hi - lo);
    size_t fsize = 1 + vlen32(lo) + packed_bytes(n, w);
    /* PFOR: the width below w whose exceptions cost least, among those
     * that leave at most a quarter of the run exceptions */
    size_t psize = SIZE_MAX;
    uint32_t pw = 0, nexc = 0;
    if (n >= 8 && w > 0) {
        /* four histograms in turn: most values have the same width, and
         * one counter's increments would wait on each other */
        uint32_t nb[33], nb4[4][33] = {{0}}, ne = 0;
        for (uint32_t i = 0; i < n; i++)
            nb4[i % 4][bits32(v[i] - lo)]++;
        for (uint32_t x = 0; x <= w; x++)
            nb[x] = nb4[0][x] + nb4[1][x] + nb4[2][x] + nb4[3][x];
        for (uint32_t x = w; x-- > 0;) {
            ne += nb[x + 1];
            if (ne * 4 > n)
                break;
            size_t sz = 1 + vlen32(lo) + vlen32(ne) + packed_bytes(n, x);
            for (uint32_t b = x + 1; b <= w; b++)
                sz += (size_t)nb[b] * (1 + (b - x + 6) / 7);
            if (sz < psize) {
                psize = sz;
                pw = x;
                nexc = ne;
            }
        }
    }
    size_t size = fsize <= vsize && fsize <= psize ? fsize : vsize <= psize ? vsize : psize;
    /* room for the largest run (every value an exception), whatever
     * size says */
    if (fz_buf_reserve(out, 11 + 10 * (size_t)n))
        return FZ_ENOMEM;
    uint8_t *p = (uint8_t *)out->p + out->len, *p0 = p;
    if (size == fsize) {
        *p++ = (uint8_t)w;
        p += fz_varint_put(p, lo);
        p = bits_put(p, v, n, w, lo);
    } else if (size == vsize) {
        *p++ = RUN_VARINT;
        for (uint32_t i = 0; i < n; i++)
            p += fz_varint_put(p, v[i]);
    } else {
        *p++ = (uint8_t)(RUN_PFOR | pw);
        p += fz_varint_put(p, lo);
        p += fz_varint_put(p, nexc);
        p = bits_put(p, v, n, pw, lo);
        for (uint32_t i = 0; i < n; i++)
            if ((v[i] - lo) >> pw) {
                *p++ = (uint8_t)i;
                p += fz_varint_put(p, (v[i] - lo) >> pw);
            }
    }
    out->len += (size_t)(p - p0);
    out->p[out->len] = 0; /* fz_buf keeps its bytes NUL-terminated */
    return FZ_OK;
}

/* Appends a stream of n values (runs of STORE_RUN, the last shorter). */
static int stream_put(fz_buf *out, const uint32_t *v, uint64_t n)
{
    for (uint64_t i = 0; i < n; i += STORE_RUN) {
        int rc = run_put(out, v + i, n - i < STORE_RUN ? (uint32_t)(n - i) : STORE_RUN);
        if (rc)
            return rc;
    }
    return FZ_OK;
}

/* A 32-bit varint (NULL when it is not one or runs past end). */
static inline const uint8_t *get_u32(const uint8_t *p, const uint8_t *end, uint32_t *v)
{
    uint64_t x;
    if (p < end && *p < 0x80) {
        *v = *p;
        return p + 1;
    }
    if (!(p = fz_varint_get(p, end, &x)) || x > UINT32_MAX)
        return NULL;
    *v = (uint32_t)x;
    return p;
}

/* The end of n varints starting at p (NULL when they run past end). */
static const uint8_t *skip_varints(const uint8_t *p, const uint8_t *end, uint64_t n)
{
    while (n > 0) {
        if (p >= end)
            return NULL;
        if (!(*p++ & 0x80))
            n--;
    }
    return p;
}

/* Decodes a run of n (1 .. STORE_RUN) values at p into v; returns its
 * end, or NULL when it does not decode (an unknown mode, bytes missing, a
 * value above 32 bits, an exception index out of the run or not
 * ascending).  With v NULL only walks it: its end, or NULL for an unknown
 * mode or bytes missing. */
static const uint8_t *run_get(const uint8_t *p, const uint8_t *end, uint32_t n, uint32_t *v)
{
    if (p >= end)
        return NULL;
    uint32_t m = *p++, lo, w, nexc = 0;
    if (m == RUN_VARINT) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t x;
            if (!(p = get_u32(p, end, &x)))
                return NULL;
            if (v)
                v[i] = x;
        }
        return p;
    }
    if (m <= RUN_FOR_MAX)
        w = m;
    else if ((m & ~31u) == RUN_PFOR)
        w = m & 31;
    else
        return NULL;
    if (!(p = get_u32(p, end, &lo)) || (m > RUN_FOR_MAX && !(p = get_u32(p, end, &nexc))) || nexc > n)
        return NULL;
    size_t nbytes = packed_bytes(n, w);
    if (nbytes > (size_t)(end - p))
        return NULL;
    if (!v) {
        /* a walk: the run's length only (its values are checked when
         * decoded) */
        p += nbytes;
        for (uint32_t e = 0; e < nexc; e++) {
            if (p >= end)
                return NULL;
            p++;
            if (!(p = skip_varints(p, end, 1)))
                return NULL;
        }
        return p;
    }
    /* the base added while unpacking, unless a value might then exceed
     * 32 bits: then after, each value checked */
    uint64_t top = (uint64_t)lo + (w ? ((uint64_t)1 << w) - 1 : 0);
    uint32_t add = top <= UINT32_MAX ? lo : 0;
    p = bits_get(p, end, v, n, w, add);
    int prev = -1;
    for (uint32_t e = 0; e < nexc; e++) {
        uint32_t hi;
        if (p >= end || (int)*p <= prev || *p >= n)
            return NULL;
        uint32_t at = *p++;
        prev = (int)at;
        if (!(p = get_u32(p, end, &hi)) || hi == 0 || (w + bits32(hi)) > 32 ||
            (uint64_t)v[at] + ((uint64_t)hi << w) > UINT32_MAX)
            return NULL;
        v[at] += hi << w;
    }
    if (add != lo)
        for (uint32_t i = 0; i < n; i++) {
            if ((uint64_t)v[i] + lo > UINT32_MAX)
                return NULL;
            v[i] += lo;
        }
    return p;
}

/* Decodes a stream of n (at most STORE_RUN) values. */
static inline const uint8_t *stream_get(const uint8_t *p, const uint8_t *end, uint32_t n, uint32_t *v)
{
    return n ? run_get(p, end, n, v) : p;
}

/* ---- posting blocks ---- */

/* Decodes the frequencies of a record in the record form at p
 * (store_tf_put's): tf_body, tf_title.  Returns the end of them, or NULL
 * when malformed. */
static inline const uint8_t *get_tf(const uint8_t *p, const uint8_t *end, uint32_t *tf_body, uint32_t *tf_title)
{
    uint32_t code, tt = 0;
    if (!(p = get_u32(p, end, &code)))
        return NULL;
    if (code == 0)
        tt = 1; /* one occurrence, in the title (store_tf_put) */
    else if ((code & 1) && (!(p = get_u32(p, end, &tt)) || tt == 0))
        return NULL;
    *tf_body = code >> 1;
    *tf_title = tt;
    return p;
}

/* Decodes a record's head at p: the id delta, tf_body, tf_title (its
 * positions follow).  Returns the end of the head, or NULL when it is
 * malformed. */
static inline const uint8_t *get_record(const uint8_t *p, const uint8_t *end, uint32_t *delta,
                                        uint32_t *tf_body, uint32_t *tf_title)
{
    if (!(p = get_u32(p, end, delta)))
        return NULL;
    return get_tf(p, end, tf_body, tf_title);
}


/* A frequency stream of block b (one run: ndocs <= STORE_RUN): a frame
 * of reference read in place (the value i of its bits), or else decoded
 * whole into arr at open.  Sets *bits NULL for the latter. */
static const uint8_t *tf_stream(const uint8_t *p, const uint8_t *end, uint32_t n, uint32_t *arr,
                                const uint8_t **bits, uint32_t *lo, uint32_t *w)
{
    *bits = NULL;
    if (p < end && *p <= RUN_FOR_MAX) {
        const uint8_t *q = p + 1;
        uint32_t base;
        if (!(q = get_u32(q, end, &base)))
            return NULL;
        uint32_t width = *p;
        size_t nbytes = packed_bytes(n, width);
        if (nbytes <= (size_t)(end - q) && (uint64_t)base + (((uint64_t)1 << width) - 1) <= UINT32_MAX) {
            *bits = q;
            *lo = base;
            *w = width;
            return q + nbytes;
        }
    }
    return run_get(p, end, n, arr);
}

static inline uint32_t tf_value(const uint8_t *bits, uint32_t lo, uint32_t w, const uint32_t *arr, uint32_t n,
                                uint32_t i)
{
    return bits ? lo + (w ? bits_at(bits, packed_bytes(n, w), w, i) : 0) : arr[i];
}

/* The cursor of a block (not a packed term) on its document i (its id
 * decoded, when i > 0). */
static inline void block_at(store_block *b, uint32_t i)
{
    b->i = i;
    if (i >= b->ndocs) {
        b->i = b->ndocs;
        b->tf_title = b->tf_body = 0;
        return;
    }
    b->doc = b->id[i];
    b->tf_title = tf_value(b->tt_bits, b->tt_lo, b->tt_w, b->tt, b->ndocs, i);
    b->tf_body = tf_value(b->tb_bits, b->tb_lo, b->tb_w, b->tb, b->ndocs, i);
}

/* Decodes b's ids (on its cursor's first move): FZ_OK, or FZ_ECORRUPT
 * when they do not ascend within [first, last]. */
static int block_ids(store_block *b)
{
    if (b->ids_done)
        return b->ids_done > 0 ? FZ_OK : FZ_ECORRUPT;
    b->ids_done = -1;
    uint32_t n = b->ndocs;
    if (n > 1 && !run_get(b->docs, b->tstream, n - 1, b->id + 1))
        return FZ_ECORRUPT;
    uint64_t doc = b->first;
    for (uint32_t i = 1; i < n; i++) {
        if (b->id[i] == 0)
            return FZ_ECORRUPT;
        doc += b->id[i];
        b->id[i] = (uint32_t)doc;
    }
    if (doc > b->last)
        return FZ_ECORRUPT;
    b->ids_done = 1;
    return FZ_OK;
}

/* Where each document's positions start (on the first positions asked
 * for): FZ_OK, or FZ_ECORRUPT for a document without occurrences. */
/* Decodes b's frequency streams that are read in place (a frame of
 * reference) into its arrays, which tf_value reads from then on. */
static void block_tfs(store_block *b)
{
    if (b->tt_bits) {
        bits_get(b->tt_bits, b->docs_end, b->tt, b->ndocs, b->tt_w, b->tt_lo);
        b->tt_bits = NULL;
    }
    if (b->tb_bits) {
        bits_get(b->tb_bits, b->docs_end, b->tb, b->ndocs, b->tb_w, b->tb_lo);
        b->tb_bits = NULL;
    }
}

static int block_pofs(store_block *b)
{
    if (b->pofs_done)
        return b->pofs_done > 0 ? FZ_OK : FZ_ECORRUPT;
    b->pofs_done = -1;
    /* the frequencies read in place decoded now, for the sums and the
     * cursor's moves after */
    block_tfs(b);
    uint64_t s = 0;
    for (uint32_t i = 0; i < b->ndocs; i++) {
        b->pofs[i] = s;
        uint64_t f = (uint64_t)b->tt[i] + b->tb[i];
        if (f == 0)
            return FZ_ECORRUPT; /* a document without occurrences */
        s += f;
    }
    b->pofs[b->ndocs] = s;
    b->npos = s;
    b->pofs_done = 1;
    return FZ_OK;
}

/* The header and the recorded impact of a block value: sets b's fields
 * down to q; the streams start at the return (NULL: malformed). */
static const uint8_t *block_head(store_block *b, uint32_t first, const void *val, size_t len)
{
    const uint8_t *p = val, *end = p + len;
    uint32_t x[5];
    for (int i = 0; i < 5; i++)
        if (!(p = get_u32(p, end, &x[i])))
            return NULL;
    if (x[0] == 0 || x[0] > STORE_BLOCK_DOCS || x[1] > UINT32_MAX - first)
        return NULL;
    b->first = first;
    b->ndocs = x[0];
    b->last = first + x[1];
    b->max_tf_title = x[2];
    b->max_tf_body = x[3];
    b->min_dl = x[4];
    b->a0 = b->q = 0;
    b->packed = 0;
    if (b->ndocs > STORE_IMPACT_DOCS) {
        if (!(p = get_u32(p, end, &x[0])) || !(p = get_u32(p, end, &x[1])) || x[0] == 0 || x[1] == 0 ||
            x[1] > 255)
            return NULL;
        b->a0 = x[0];
        b->q = x[1];
    }
    return p;
}

int store_block_head(store_block *b, uint32_t first, const void *val, size_t len)
{
    if (!block_head(b, first, val, len))
        return FZ_ECORRUPT;
    b->i = b->ndocs; /* no cursor */
    b->docs = b->docs_end = NULL;
    return FZ_OK;
}

int store_block_open(store_block *b, uint32_t first, const void *val, size_t len)
{
    const uint8_t *p = block_head(b, first, val, len), *end = (const uint8_t *)val + len;
    if (!p)
        return FZ_ECORRUPT;
    b->docs = p;
    b->docs_end = end;
    uint32_t n = b->ndocs;
    /* the id stream is walked (decoded on the cursor's first move), the
     * frequencies read in place where they are a frame of reference */
    if (n > 1 && !(p = run_get(p, end, n - 1, NULL)))
        return FZ_ECORRUPT;
    b->tstream = p;
    if (!(p = tf_stream(p, end, n, b->tt, &b->tt_bits, &b->tt_lo, &b->tt_w)) ||
        !(p = tf_stream(p, end, n, b->tb, &b->tb_bits, &b->tb_lo, &b->tb_w)))
        return FZ_ECORRUPT;
    b->ids_done = n == 1;
    b->pofs_done = 0;
    b->npos = 0;
    b->nopos = p == end; /* every position stream takes a byte at least */
    b->pstream = b->prun_at = p;
    b->prun_bits = NULL;
    b->prun_k = 0;
    b->pbuf_k = UINT32_MAX;
    b->doc_next = b->doc_pos = NULL;
    b->id[0] = first;
    block_at(b, 0);
    return FZ_OK;
}

/* The head of record i of a packed term: the first has no id delta (it
 * is 0). */
static inline const uint8_t *tpack_record(uint32_t i, const uint8_t *p, const uint8_t *end, uint32_t *delta,
                                          uint32_t *tf_body, uint32_t *tf_title)
{
    if (i == 0) {
        *delta = 0;
        return get_tf(p, end, tf_body, tf_title);
    }
    return get_record(p, end, delta, tf_body, tf_title);
}

/* store_block_next on a packed term's records. */
static int tpack_block_next(store_block *b)
{
    /* skip the current document's positions */
    const uint8_t *p = b->i == (uint32_t)-1 ? b->doc_next
                       : b->nopos         ? b->doc_pos
                                          : skip_varints(b->doc_pos, b->docs_end, (uint64_t)b->tf_title + b->tf_body);
    if (!p)
        return FZ_ECORRUPT;
    b->doc_next = p;
    b->i++;
    if (b->i >= b->ndocs) {
        b->i = b->ndocs;
        b->doc_pos = p;
        b->tf_title = b->tf_body = 0;
        return FZ_ENOTFOUND;
    }
    uint32_t d, tb, tt;
    /* ids ascend from first (delta 0) and stay within the block's range */
    if (!(p = tpack_record(b->i, p, b->docs_end, &d, &tb, &tt)) || (d == 0) != (b->i == 0) ||
        d > b->last - b->doc)
        return FZ_ECORRUPT;
    b->doc += d;
    b->tf_title = tt;
    b->tf_body = tb;
    b->doc_pos = p;
    return FZ_OK;
}

int store_block_next(store_block *b)
{
    if (b->packed)
        return tpack_block_next(b);
    if (b->i >= b->ndocs)
        return FZ_ENOTFOUND;
    if (block_ids(b))
        return FZ_ECORRUPT;
    block_at(b, b->i + 1);
    return b->i < b->ndocs ? FZ_OK : FZ_ENOTFOUND;
}

int store_block_arrays(store_block *b, const uint32_t **id, const uint32_t **tt, const uint32_t **tb)
{
    if (b->packed || block_ids(b))
        return FZ_ECORRUPT;
    block_tfs(b);
    *id = b->id;
    *tt = b->tt;
    *tb = b->tb;
    return FZ_OK;
}

int store_block_ids(store_block *b, const uint32_t **id)
{
    if (b->packed || block_ids(b))
        return FZ_ECORRUPT;
    *id = b->id;
    return FZ_OK;
}

void store_block_move(store_block *b, uint32_t i)
{
    block_at(b, i);
}

int store_block_seek(store_block *b, uint32_t target)
{
    if (b->i < b->ndocs && b->doc >= target)
        return FZ_OK;
    if (b->i >= b->ndocs && b->i != (uint32_t)-1)
        return FZ_ENOTFOUND;
    if (b->packed) {
        int rc;
        while ((rc = tpack_block_next(b)) == FZ_OK && b->doc < target)
            ;
        return rc;
    }
    if (block_ids(b))
        return FZ_ECORRUPT;
    /* the first id >= target after the current one, by a bisection
     * without branches (their mispredictions cost more than the steps) */
    uint32_t lo = b->i + 1, n = b->ndocs - lo;
    if (n > 0) {
        const uint32_t *a = b->id + lo;
        while (n > 1) {
            uint32_t half = n / 2;
            a = a[half] < target ? a + half : a;
            n -= half;
        }
        lo = (uint32_t)(a - b->id) + (*a < target);
    }
    block_at(b, lo);
    return lo < b->ndocs ? FZ_OK : FZ_ENOTFOUND;
}

/* Moves b's run cursor to run k of its position stream and reads that
 * run's head: a frame of reference is read in place (prun_bits), any
 * other run decoded into pbuf.  FZ_OK or FZ_ECORRUPT. */
static int prun_load(store_block *b, uint32_t k)
{
    if (k < b->prun_k) {
        b->prun_k = 0;
        b->prun_at = b->pstream;
        b->pbuf_k = UINT32_MAX;
    }
    while (b->prun_k < k) {
        if (!(b->prun_at = run_get(b->prun_at, b->docs_end, STORE_RUN, NULL))) {
            b->prun_at = b->pstream;
            b->prun_k = 0;
            return FZ_ECORRUPT;
        }
        b->prun_k++;
        b->pbuf_k = UINT32_MAX;
    }
    uint64_t left = b->npos - (uint64_t)k * STORE_RUN;
    uint32_t n = left < STORE_RUN ? (uint32_t)left : STORE_RUN;
    const uint8_t *p = b->prun_at, *end = b->docs_end;
    b->prun_bits = NULL;
    if (p < end && *p <= RUN_FOR_MAX) {
        uint32_t lo, w = *p;
        const uint8_t *q = get_u32(p + 1, end, &lo);
        if (q && packed_bytes(n, w) <= (size_t)(end - q) && (uint64_t)lo + (((uint64_t)1 << w) - 1) <= UINT32_MAX) {
            b->prun_bits = q;
            b->prun_lo = lo;
            b->prun_w = w;
            b->prun_n = n;
            b->pbuf_k = k;
            return FZ_OK;
        }
    }
    if (!run_get(p, end, n, b->pbuf)) {
        b->pbuf_k = UINT32_MAX;
        return FZ_ECORRUPT;
    }
    b->pbuf_k = k;
    return FZ_OK;
}

int store_block_positions(store_block *b, uint32_t *out, uint32_t max)
{
    uint64_t n64 = (uint64_t)b->tf_title + b->tf_body;
    uint32_t n = n64 > max ? max : (uint32_t)n64, pos = 0;
    if (b->nopos)
        return n ? FZ_ECORRUPT : 0; /* the field keeps none */
    if (b->packed) {
        const uint8_t *p = b->doc_pos, *end = b->docs_end;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t d;
            if (!(p = get_u32(p, end, &d)) || d > UINT32_MAX - pos)
                return FZ_ECORRUPT;
            pos += d;
            out[i] = pos;
        }
        return (int)n;
    }
    if (b->i >= b->ndocs)
        return 0;
    if (block_pofs(b))
        return FZ_ECORRUPT;
    uint64_t at = b->pofs[b->i];
    for (uint32_t i = 0; i < n; i++, at++) {
        uint32_t k = (uint32_t)(at / STORE_RUN), j = (uint32_t)(at % STORE_RUN);
        if (b->pbuf_k != k && prun_load(b, k))
            return FZ_ECORRUPT;
        uint32_t d = b->prun_bits ? b->prun_lo + (b->prun_w ? bits_at(b->prun_bits, packed_bytes(b->prun_n, b->prun_w),
                                                                       b->prun_w, j)
                                                            : 0)
                                  : b->pbuf[j];
        if (d > UINT32_MAX - pos)
            return FZ_ECORRUPT;
        pos += d;
        out[i] = pos;
    }
    return (int)n;
}

int store_block_verify(store_block *b)
{
    if (b->packed)
        return FZ_OK;
    if (block_ids(b) || block_pofs(b))
        return FZ_ECORRUPT;
    if (b->nopos)
        return FZ_OK; /* the value ends after the frequencies (open saw to it) */
    const uint8_t *p = b->pstream;
    uint32_t tmp[STORE_RUN];
    for (uint64_t at = 0; at < b->npos; at += STORE_RUN) {
        uint64_t left = b->npos - at;
        if (!(p = run_get(p, b->docs_end, left < STORE_RUN ? (uint32_t)left : STORE_RUN, tmp)))
            return FZ_ECORRUPT;
    }
    return p == b->docs_end ? FZ_OK : FZ_ECORRUPT;
}

double store_impact_w(double tf, uint32_t dl, uint32_t a0)
{
    double norm = STORE_BM25_K1 * (1.0 - STORE_BM25_B + STORE_BM25_B * dl / (a0 ? a0 : 1));
    return tf * (STORE_BM25_K1 + 1.0) / (tf + norm);
}

double store_impact(uint32_t tf_title, uint32_t tf_body, uint32_t dl, uint32_t a0)
{
    return store_impact_w(STORE_TITLE_WEIGHT * tf_title + tf_body, dl, a0);
}

uint32_t store_impact_q(double impact)
{
    double q = ceil(impact / (STORE_BM25_K1 + 1.0) * 255.0 * (1.0 + 1e-9));
    return q < 1 ? 1 : q > 255 ? 255 : (uint32_t)q;
}

double store_impact_value(uint32_t q) { return q * (STORE_BM25_K1 + 1.0) / 255.0; }

double store_block_impact_bound(const store_block *b, double avgdl)
{
    if (!b->q)
        return 0;
    double v = store_impact_value(b->q);
    if (avgdl <= b->a0)
        return v * (1.0 + 1e-9); /* every length norm grows: no impact rises */
    /* At a larger average length only the length's part of a document's
     * norm shrinks, by e = 1 - a0/avgdl: its denominator D = tf' + k1 (1 -
     * b) + k1 b dl/a0 becomes D (1 - e) + (tf' + k1 (1 - b)) e, at least
     * D (1 - e) + e D i/(k1 + 1) for an impact i = tf' (k1 + 1)/D at a0;
     * so the impact is at most i/((1 - e) + e i/(k1 + 1)), which grows
     * with i, and i <= v.  (Dividing by 1 - e alone, as before, took the
     * whole denominator as the length's part: 0.33 % above v on the
     * poetry bench, where a0 is the average rounded down, against 0.02 %
     * now; a frequent character's top-k scores 3 % fewer blocks.) */
    double e = 1.0 - b->a0 / avgdl;
    return v / ((1.0 - e) + e * v / (STORE_BM25_K1 + 1.0)) * (1.0 + 1e-9);
}

int store_block_extra(const uint8_t *recs, size_t len, uint32_t ndocs, uint32_t first, uint32_t a0, double best,
                      const store_dl_span *dls, int positions, fz_buf *out)
{
    if (ndocs == 0 || ndocs > STORE_BLOCK_DOCS)
        return FZ_ECORRUPT;
    /* the records once for ids and frequencies, once more for positions */
    uint32_t d[STORE_BLOCK_DOCS], tt[STORE_BLOCK_DOCS], tb[STORE_BLOCK_DOCS], run[STORE_RUN];
    const uint8_t *at[STORE_BLOCK_DOCS], *p = recs, *end = recs + len;
    for (uint32_t i = 0; i < ndocs; i++) {
        if (!(p = get_record(p, end, &d[i], &tb[i], &tt[i])) || (d[i] == 0) != (i == 0))
            return FZ_ECORRUPT;
        at[i] = p;
        if (positions && !(p = skip_varints(p, end, (uint64_t)tt[i] + tb[i])))
            return FZ_ECORRUPT;
    }
    if (p != end)
        return FZ_ECORRUPT;
    if (ndocs > STORE_IMPACT_DOCS) {
        /* the exact largest impact where every length is at hand */
        uint64_t id = first;
        double exact = 0;
        uint32_t i = 0;
        for (; dls && i < ndocs; i++) {
            id += d[i];
            if (id < dls->base || id - dls->base >= dls->n)
                break;
            double im = store_impact(tt[i], tb[i], dls->dl[id - dls->base], a0);
            if (im > exact)
                exact = im;
        }
        if (dls && i == ndocs)
            best = exact;
        if (fz_buf_varint(out, a0 ? a0 : 1) || fz_buf_varint(out, store_impact_q(best)))
            return FZ_ENOMEM;
    }
    int rc;
    if ((rc = stream_put(out, d + 1, ndocs - 1)) || (rc = stream_put(out, tt, ndocs)) ||
        (rc = stream_put(out, tb, ndocs)))
        return rc;
    if (!positions)
        return FZ_OK;
    uint32_t nrun = 0;
    for (uint32_t i = 0; i < ndocs; i++) {
        p = at[i];
        for (uint64_t j = (uint64_t)tt[i] + tb[i]; j > 0; j--) {
            p = get_u32(p, end, &run[nrun]);
            if (!p)
                return FZ_ECORRUPT;
            if (++nrun == STORE_RUN) {
                if ((rc = run_put(out, run, nrun)))
                    return rc;
                nrun = 0;
            }
        }
    }
    return nrun ? run_put(out, run, nrun) : FZ_OK;
}

size_t store_block_header(uint8_t *out, uint32_t ndocs, uint32_t span, uint32_t max_tf_title,
                          uint32_t max_tf_body, uint32_t min_dl)
{
    size_t n = 0;
    n += fz_varint_put(out + n, ndocs);
    n += fz_varint_put(out + n, span);
    n += fz_varint_put(out + n, max_tf_title);
    n += fz_varint_put(out + n, max_tf_body);
    n += fz_varint_put(out + n, min_dl);
    return n;
}

void store_bb_reset(store_block_builder *bb)
{
    bb->docs.len = 0;
    bb->pos.len = 0;
    bb->first = bb->last = bb->ndocs = 0;
    bb->max_tf_title = bb->max_tf_body = 0;
    bb->min_dl = UINT32_MAX;
}

void store_bb_begin(store_block_builder *bb, int field)
{
    store_bb_reset(bb);
    bb->nopos = !store_field_positions(field);
}

int store_bb_add_block(store *s, MDB_txn *txn, store_dlen_cache *dc, store_block *b, store_block_builder *bb,
                       uint32_t **pos, size_t *pcap, const store_range *skip, size_t nskip)
{
    if (b->nopos != bb->nopos)
        return FZ_ECORRUPT;
    int rc;
    do {
        if (nskip && store_dead_end(skip, nskip, b->doc))
            continue;
        uint32_t np = b->nopos ? 0 : b->tf_title + b->tf_body;
        if (np > *pcap) {
            uint32_t *p = realloc(*pos, (size_t)np * sizeof *p);
            if (!p)
                return FZ_ENOMEM;
            *pos = p;
            *pcap = np;
        }
        if (store_block_positions(b, *pos, np) != (int)np)
            return FZ_ECORRUPT;
        if (store_bb_add(bb, b->doc, store_dlen_get(s, txn, dc, b->doc), *pos, b->tf_title, b->tf_body))
            return FZ_ENOMEM;
    } while ((rc = store_block_next(b)) == FZ_OK);
    return rc == FZ_ENOTFOUND ? FZ_OK : FZ_ECORRUPT;
}

int store_bb_add(store_block_builder *bb, uint32_t doc, uint32_t dl, const uint32_t *positions,
                 uint32_t tf_title, uint32_t tf_body)
{
    if (bb->ndocs == 0)
        bb->first = bb->last = doc;
    uint32_t prev = 0, n = tf_title + tf_body;
    int rc = 0;
    uint8_t tf[STORE_TF_MAX];
    rc |= fz_buf_varint(&bb->docs, doc - bb->last);
    rc |= fz_buf_append(&bb->docs, tf, store_tf_put(tf, tf_title, tf_body));
    for (uint32_t i = 0; i < n && !bb->nopos; i++) {
        rc |= fz_buf_varint(&bb->docs, positions[i] - prev);
        prev = positions[i];
    }
    uint32_t pair[2] = {(uint32_t)(STORE_TITLE_WEIGHT * tf_title) + tf_body, dl};
    rc |= fz_buf_append(&bb->pos, pair, sizeof pair);
    if (rc)
        return FZ_ENOMEM;
    bb->last = doc;
    bb->ndocs++;
    if (tf_title > bb->max_tf_title)
        bb->max_tf_title = tf_title;
    if (tf_body > bb->max_tf_body)
        bb->max_tf_body = tf_body;
    if (dl < bb->min_dl)
        bb->min_dl = dl;
    return FZ_OK;
}

int store_bb_finish(store_block_builder *bb, uint32_t a0, fz_buf *out)
{
    out->len = 0;
    int rc = 0;
    rc |= fz_buf_varint(out, bb->ndocs);
    rc |= fz_buf_varint(out, bb->last - bb->first);
    rc |= fz_buf_varint(out, bb->max_tf_title);
    rc |= fz_buf_varint(out, bb->max_tf_body);
    rc |= fz_buf_varint(out, bb->min_dl == UINT32_MAX ? 0 : bb->min_dl);
    if (rc)
        return FZ_ENOMEM;
    double best = 0;
    for (uint32_t i = 0; i < bb->ndocs && bb->ndocs > STORE_IMPACT_DOCS; i++) {
        uint32_t pair[2];
        memcpy(pair, bb->pos.p + 8 * (size_t)i, sizeof pair);
        double im = store_impact_w(pair[0], pair[1], a0);
        if (im > best)
            best = im;
    }
    return store_block_extra((const uint8_t *)bb->docs.p, bb->docs.len, bb->ndocs, bb->first, a0, best, NULL, !bb->nopos,
                             out);
}

void store_bb_free(store_block_builder *bb)
{
    fz_buf_free(&bb->docs);
    fz_buf_free(&bb->pos);
}

/* ---- term packs (TERM PACKS above) ---- */

size_t store_tpack_key(uint8_t *key, int field, const char *term, size_t term_len)
{
    key[0] = (uint8_t)field;
    memcpy(key + 1, term, term_len);
    key[1 + term_len] = 0;
    return term_len + 2;
}

int store_key_is_tpack(const void *key, size_t len)
{
    const uint8_t *k = key;
    return len >= 2 && k[len - 1] == 0 && !memchr(k + 1, 0, len - 2);
}

/* Order of term a against b as their keys sort: bytes, shorter first. */
static int term_order(const char *a, size_t la, const char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    if (c)
        return c;
    return la < lb ? -1 : la > lb;
}

/* The end of a packed term's ndocs records at p (NULL when they do not
 * decode). */
static const uint8_t *tpack_records_end(const uint8_t *p, const uint8_t *end, uint32_t ndocs, int positions)
{
    for (uint32_t i = 0; i < ndocs; i++) {
        uint32_t d, tb, tt;
        if (i == 0 ? !(p = get_tf(p, end, &tb, &tt)) : !(p = get_record(p, end, &d, &tb, &tt)))
            return NULL;
        if ((i > 0 && d == 0) || (positions && !(p = skip_varints(p, end, (uint64_t)tt + tb))))
            return NULL;
    }
    return p;
}

int store_tpack_next(store_tpack_iter *it)
{
    if (it->p >= it->end)
        return FZ_ENOTFOUND;
    const uint8_t *p = it->p, *end = it->end;
    uint64_t shared, n, nd, first;
    if (!(p = fz_varint_get(p, end, &shared)) || !(p = fz_varint_get(p, end, &n)) || shared > it->term_len ||
        n > (uint64_t)(end - p) || shared + n > STORE_KEY_MAX - 6 || shared + n == 0)
        return FZ_ECORRUPT;
    const char *suf = (const char *)p;
    p += n;
    if (memchr(suf, 0, n))
        return FZ_ECORRUPT;
    /* ascending: the old term's tail after the shared bytes against the suffix */
    if (it->recs && term_order(it->term + shared, it->term_len - shared, suf, n) >= 0)
        return FZ_ECORRUPT;
    if (!(p = fz_varint_get(p, end, &nd)) || !(p = fz_varint_get(p, end, &first)) || nd == 0 ||
        nd > STORE_TPACK_DOCS || first > UINT32_MAX)
        return FZ_ECORRUPT;
    const uint8_t *r = p;
    if (!(p = tpack_records_end(p, end, (uint32_t)nd, store_field_positions(it->field))))
        return FZ_ECORRUPT;
    memcpy(it->term + shared, suf, n);
    it->term_len = shared + n;
    it->ndocs = (uint32_t)nd;
    it->first = (uint32_t)first;
    it->recs = r;
    it->recs_len = (size_t)(p - r);
    it->p = p;
    return FZ_OK;
}

int store_tpack_open(store_tpack_iter *it, const void *key, size_t klen, const void *val, size_t vlen)
{
    memset(it, 0, sizeof *it);
    const uint8_t *k = key;
    if (!store_key_is_tpack(key, klen) || klen - 2 > STORE_KEY_MAX - 6 || klen < 3)
        return FZ_ECORRUPT;
    it->field = k[0];
    it->p = val;
    it->end = it->p + vlen;
    if (store_tpack_next(it) || it->term_len != klen - 2 || memcmp(it->term, k + 1, it->term_len))
        return FZ_ECORRUPT;
    return FZ_OK;
}

int store_block_open_tpack(store_block *b, const store_tpack_iter *it)
{
    /* not the block's arrays: a packed term does not use them */
    b->max_tf_title = b->max_tf_body = b->min_dl = b->a0 = b->q = 0;
    b->tf_title = b->tf_body = 0;
    b->tstream = b->pstream = b->prun_at = b->prun_bits = NULL;
    b->npos = 0;
    b->prun_k = 0;
    b->pbuf_k = UINT32_MAX;
    b->first = b->doc = it->first;
    b->ndocs = it->ndocs;
    b->last = UINT32_MAX; /* for the walk below */
    b->docs = b->doc_next = b->doc_pos = it->recs;
    b->docs_end = it->recs + it->recs_len;
    b->packed = 1;
    b->nopos = !store_field_positions(it->field);
    b->i = (uint32_t)-1;
    int rc;
    while ((rc = store_block_next(b)) == FZ_OK) {
        if (b->tf_title > b->max_tf_title)
            b->max_tf_title = b->tf_title;
        if (b->tf_body > b->max_tf_body)
            b->max_tf_body = b->tf_body;
    }
    if (rc != FZ_ENOTFOUND || b->doc_next != b->docs_end)
        return FZ_ECORRUPT;
    b->last = b->doc;
    b->doc = b->first;
    b->i = (uint32_t)-1;
    b->doc_next = b->doc_pos = it->recs;
    b->tf_title = b->tf_body = 0;
    return store_block_next(b);
}

int store_term_find(MDB_cursor *cur, int field, const char *term, size_t len, MDB_val *k, MDB_val *v,
                    store_tpack_iter *it)
{
    uint8_t key[STORE_KEY_MAX];
    if (len > STORE_KEY_MAX - 6)
        return FZ_ENOTFOUND;
    size_t kl = store_tpack_key(key, field, term, len);
    k->mv_size = kl;
    k->mv_data = key;
    int rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
    if (rc == 0) {
        if (k->mv_size >= kl && memcmp(k->mv_data, key, kl) == 0) {
            if (k->mv_size == kl + 4)
                return STORE_TERM_BLOCKS;
            if (k->mv_size == kl)
                return store_tpack_open(it, k->mv_data, k->mv_size, v->mv_data, v->mv_size) ? FZ_ECORRUPT
                                                                                           : STORE_TERM_PACKED;
        }
        rc = mdb_cursor_get(cur, k, v, MDB_PREV);
    } else if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cur, k, v, MDB_LAST);
    }
    if (rc == MDB_NOTFOUND)
        return FZ_ENOTFOUND;
    if (rc)
        return FZ_ELMDB;
    if (!store_key_is_tpack(k->mv_data, k->mv_size) || ((const uint8_t *)k->mv_data)[0] != field)
        return FZ_ENOTFOUND;
    if (store_tpack_open(it, k->mv_data, k->mv_size, v->mv_data, v->mv_size))
        return FZ_ECORRUPT;
    for (;;) {
        int c = term_order(it->term, it->term_len, term, len);
        if (c == 0)
            return STORE_TERM_PACKED;
        if (c > 0)
            return FZ_ENOTFOUND;
        if ((rc = store_tpack_next(it)))
            return rc == FZ_ENOTFOUND ? FZ_ENOTFOUND : FZ_ECORRUPT;
    }
}

int store_tpack_fits(uint32_t ndocs, size_t recs_len)
{
    return ndocs >= 1 && ndocs <= STORE_TPACK_DOCS && recs_len <= STORE_TPACK_TERM_BYTES;
}

/* Appends a term whose records r (n bytes) are as a pack holds them (the
 * first without id delta). */
static int tpack_add_raw(store_tpack_builder *pb, int field, const char *term, size_t len, uint32_t ndocs,
                         uint32_t first, const uint8_t *r, size_t n)
{
    if (len == 0 || len > STORE_KEY_MAX - 6 || memchr(term, 0, len) || ndocs == 0 || ndocs > STORE_TPACK_DOCS)
        return FZ_EINVAL;
    size_t shared = 0;
    if (pb->klen) {
        if (field != pb->field || term_order(pb->last, pb->last_len, term, len) >= 0)
            return FZ_EINVAL;
        while (shared < len && shared < pb->last_len && pb->last[shared] == term[shared])
            shared++;
    } else {
        pb->field = field;
        pb->klen = store_tpack_key(pb->key, field, term, len);
        pb->val.len = 0;
    }
    if (fz_buf_varint(&pb->val, shared) || fz_buf_varint(&pb->val, len - shared) ||
        fz_buf_append(&pb->val, term + shared, len - shared) || fz_buf_varint(&pb->val, ndocs) ||
        fz_buf_varint(&pb->val, first) || fz_buf_append(&pb->val, r, n))
        return FZ_ENOMEM;
    memcpy(pb->last, term, len);
    pb->last_len = len;
    pb->nterms++;
    return FZ_OK;
}

int store_tpack_add(store_tpack_builder *pb, int field, const char *term, size_t len, uint32_t ndocs,
                    uint32_t first, const uint8_t *recs, size_t recs_len)
{
    if (recs_len < 1 || recs[0] != 0)
        return FZ_EINVAL;
    return tpack_add_raw(pb, field, term, len, ndocs, first, recs + 1, recs_len - 1);
}

void store_tpack_reset(store_tpack_builder *pb)
{
    pb->val.len = 0;
    pb->klen = 0;
    pb->last_len = 0;
    pb->nterms = 0;
}

void store_tpack_free(store_tpack_builder *pb)
{
    fz_buf_free(&pb->val);
    store_tpack_reset(pb);
}

/* Writes pb's pack under its key (nothing when pb is empty). */
static int tpack_put(store *s, MDB_txn *txn, const store_tpack_builder *pb, char *msg, size_t msglen)
{
    if (!pb->klen)
        return FZ_OK;
    MDB_val k = {pb->klen, (void *)pb->key}, v = {pb->val.len, pb->val.p};
    int rc = mdb_put(txn, s->dbi[STORE_DB_POST], &k, &v, 0);
    return rc ? store_lmdb_err(rc, "writing a term pack", msg, msglen) : FZ_OK;
}

/* Replaces the pack at cur (whose walk pb rebuilt) with pb's value: under
 * pb's key, or nothing when pb is empty. */
static int tpack_replace(store *s, MDB_txn *txn, MDB_cursor *cur, const store_tpack_builder *pb, int same_key,
                         char *msg, size_t msglen)
{
    if (!(same_key && pb->klen)) {
        int rc = mdb_cursor_del(cur, 0);
        if (rc)
            return store_lmdb_err(rc, "rewriting a term pack", msg, msglen);
    }
    return tpack_put(s, txn, pb, msg, msglen);
}

/* The current term of it without its documents lo..hi, added to pb (not
 * at all when none is left). */
static int tpack_add_filtered(store_tpack_builder *pb, const store_tpack_iter *it, uint32_t lo, uint32_t hi,
                              fz_buf *tmp)
{
    store_block b;
    if (store_block_open_tpack(&b, it))
        return FZ_ECORRUPT;
    tmp->len = 0;
    uint32_t n = 0, first = 0, prev = 0;
    int rc;
    do {
        if (b.doc >= lo && b.doc <= hi)
            continue;
        const uint8_t *pend =
            b.nopos ? b.doc_pos : skip_varints(b.doc_pos, b.docs_end, (uint64_t)b.tf_title + b.tf_body);
        uint8_t tf[STORE_TF_MAX];
        if (!pend)
            return FZ_ECORRUPT;
        if (n == 0)
            first = b.doc;
        else if (fz_buf_varint(tmp, b.doc - prev))
            return FZ_ENOMEM;
        if (fz_buf_append(tmp, tf, store_tf_put(tf, b.tf_title, b.tf_body)) ||
            fz_buf_append(tmp, b.doc_pos, (size_t)(pend - b.doc_pos)))
            return FZ_ENOMEM;
        prev = b.doc;
        n++;
    } while ((rc = store_block_next(&b)) == FZ_OK);
    if (rc != FZ_ENOTFOUND)
        return FZ_ECORRUPT;
    if (!n)
        return FZ_OK;
    return tpack_add_raw(pb, it->field, it->term, it->term_len, n, first, (const uint8_t *)tmp->p, tmp->len);
}

int store_tpack_remove(store *s, MDB_txn *txn, int field, const char *term, size_t len, uint32_t lo,
                       uint32_t hi, fz_buf *out, uint32_t *first, char *msg, size_t msglen)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[STORE_DB_POST], &cur);
    if (rc)
        return store_lmdb_err(rc, "reading postings", msg, msglen);
    MDB_val k, v;
    store_tpack_iter it, at;
    /* taken out, the term's block splits the pack: the terms after it go
     * to a pack of their own (after: pb2) */
    store_tpack_builder pb = {0}, pb2 = {0}, *dst = &pb;
    fz_buf tmp = {0};
    rc = store_term_find(cur, field, term, len, &k, &v, &at);
    if (rc != STORE_TERM_PACKED) {
        mdb_cursor_close(cur);
        if (rc == FZ_ELMDB)
            fz_msg(msg, msglen, "reading postings: LMDB error");
        return rc == STORE_TERM_BLOCKS ? FZ_ENOTFOUND : rc;
    }
    rc = store_tpack_open(&it, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
    while (rc == FZ_OK) {
        if (it.term_len == len && memcmp(it.term, term, len) == 0) {
            if (out) {
                /* the whole term, as a block */
                store_block b;
                store_dlen_cache dc = {0};
                uint32_t mindl = UINT32_MAX;
                if (store_block_open_tpack(&b, &it))
                    rc = FZ_ECORRUPT;
                else {
                    int r;
                    do {
                        uint32_t dl = store_dlen_get(s, txn, &dc, b.doc);
                        if (dl < mindl)
                            mindl = dl;
                    } while ((r = store_block_next(&b)) == FZ_OK);
                    if (r != FZ_ENOTFOUND)
                        rc = FZ_ECORRUPT;
                }
                uint8_t hdr[STORE_BLOCK_HDR_MAX];
                size_t hl = store_block_header(hdr, b.ndocs, b.last - b.first, b.max_tf_title, b.max_tf_body, mindl);
                out->len = 0;
                tmp.len = 0;
                /* the records with the first id delta (0), packed into streams */
                if (!rc && (fz_buf_append(out, hdr, hl) || fz_buf_append(&tmp, "", 1) ||
                            fz_buf_append(&tmp, it.recs, it.recs_len)))
                    rc = FZ_ENOMEM;
                if (!rc)
                    rc = store_block_extra((const uint8_t *)tmp.p, tmp.len, b.ndocs, b.first, 0, 0, NULL, !b.nopos, out);
                *first = b.first;
                dst = &pb2;
            } else {
                rc = tpack_add_filtered(&pb, &it, lo, hi, &tmp);
            }
        } else {
            rc = tpack_add_raw(dst, it.field, it.term, it.term_len, it.ndocs, it.first, it.recs, it.recs_len);
        }
        if (!rc)
            rc = store_tpack_next(&it);
    }
    if (rc == FZ_ENOTFOUND)
        rc = FZ_OK;
    if (!rc)
        rc = tpack_replace(s, txn, cur, &pb,
                           pb.klen == k.mv_size && memcmp(pb.key, k.mv_data, pb.klen) == 0, msg, msglen);
    if (!rc)
        rc = tpack_put(s, txn, &pb2, msg, msglen);
    mdb_cursor_close(cur);
    store_tpack_free(&pb);
    store_tpack_free(&pb2);
    fz_buf_free(&tmp);
    return rc;
}

/* Opens *cur (the caller closes it) on the record before where term's
 * keys would be (the pack that would hold the term): 1 when that is a
 * pack of field (*k, *v its key and value), 0 when there is none, else an
 * FZ_ error with msg. */
static int tpack_before(store *s, MDB_txn *txn, MDB_cursor **cur, int field, const char *term, size_t len,
                        MDB_val *k, MDB_val *v, char *msg, size_t msglen)
{
    uint8_t key[STORE_KEY_MAX];
    int rc = mdb_cursor_open(txn, s->dbi[STORE_DB_POST], cur);
    if (rc) {
        *cur = NULL;
        return store_lmdb_err(rc, "reading postings", msg, msglen);
    }
    k->mv_size = store_tpack_key(key, field, term, len);
    k->mv_data = key;
    rc = mdb_cursor_get(*cur, k, v, MDB_SET_RANGE);
    if (rc == 0)
        rc = mdb_cursor_get(*cur, k, v, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(*cur, k, v, MDB_LAST);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : store_lmdb_err(rc, "reading postings", msg, msglen);
    return store_key_is_tpack(k->mv_data, k->mv_size) && ((const uint8_t *)k->mv_data)[0] == field;
}

int store_tpack_split(store *s, MDB_txn *txn, int field, const char *term, size_t len, char *msg, size_t msglen)
{
    if (len > STORE_KEY_MAX - 6)
        return FZ_EINVAL;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = tpack_before(s, txn, &cur, field, term, len, &k, &v, msg, msglen);
    if (rc != 1) {
        mdb_cursor_close(cur);
        return rc;
    }
    store_tpack_iter it;
    store_tpack_builder pb = {0}, pb2 = {0};
    rc = store_tpack_open(&it, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
    while (rc == FZ_OK) {
        int c = term_order(it.term, it.term_len, term, len);
        if (c == 0) {
            rc = FZ_EINVAL;
            break;
        }
        if ((rc = tpack_add_raw(c < 0 ? &pb : &pb2, it.field, it.term, it.term_len, it.ndocs, it.first, it.recs,
                                it.recs_len)))
            break;
        rc = store_tpack_next(&it);
    }
    if (rc == FZ_ENOTFOUND) {
        rc = FZ_OK;
        if (pb2.klen) {
            /* pb holds the pack's first term (it sorts before term) */
            rc = tpack_replace(s, txn, cur, &pb, 1, msg, msglen);
            if (!rc)
                rc = tpack_put(s, txn, &pb2, msg, msglen);
        }
    }
    mdb_cursor_close(cur);
    store_tpack_free(&pb);
    store_tpack_free(&pb2);
    return rc;
}

int store_tpack_insert(store *s, MDB_txn *txn, int field, const char *term, size_t len, uint32_t ndocs,
                       uint32_t first, const uint8_t *recs, size_t recs_len, char *msg, size_t msglen)
{
    if (!store_tpack_fits(ndocs, recs_len) || recs_len < 1 || recs[0] != 0 || len > STORE_KEY_MAX - 6)
        return FZ_EINVAL;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = tpack_before(s, txn, &cur, field, term, len, &k, &v, msg, msglen);
    if (rc < 0) {
        mdb_cursor_close(cur);
        return rc;
    }
    store_tpack_iter it;
    /* pb: the pack before, written again; pb2: a pack of its own for the
     * term (and, when the pack before is full, that pack's terms after it) */
    store_tpack_builder pb = {0}, pb2 = {0};
    if (rc == 0) {
        rc = store_tpack_add(&pb2, field, term, len, ndocs, first, recs, recs_len);
    } else {
        store_tpack_builder *dst = &pb;
        int full = v.mv_size >= STORE_TPACK_GROW, done = 0;
        rc = store_tpack_open(&it, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
        while (rc == FZ_OK) {
            int c = term_order(it.term, it.term_len, term, len);
            if (c == 0) {
                rc = FZ_EINVAL; /* already there */
                break;
            }
            if (c > 0 && !done) {
                dst = full ? &pb2 : &pb;
                if ((rc = store_tpack_add(dst, field, term, len, ndocs, first, recs, recs_len)))
                    break;
                done = 1;
            }
            if ((rc = tpack_add_raw(dst, it.field, it.term, it.term_len, it.ndocs, it.first, it.recs, it.recs_len)))
                break;
            rc = store_tpack_next(&it);
        }
        if (rc == FZ_ENOTFOUND && !done)
            rc = store_tpack_add(full ? &pb2 : &pb, field, term, len, ndocs, first, recs, recs_len);
        else if (rc == FZ_ENOTFOUND)
            rc = FZ_OK;
        /* the pack's first term sorts before term: pb keeps its key */
        if (!rc)
            rc = tpack_replace(s, txn, cur, &pb, 1, msg, msglen);
    }
    if (!rc)
        rc = tpack_put(s, txn, &pb2, msg, msglen);
    mdb_cursor_close(cur);
    store_tpack_free(&pb);
    store_tpack_free(&pb2);
    return rc;
}
