/*
 * store.c -- the index on disk (see store.h for the API): the environment,
 * meta, archives, the delta tier and its merge, files, volumes and entry
 * lengths.  Entries are store_entry.c's, postings store_post.c's;
 * store_int.h says what the three files share.  The on-disk format of all
 * three is written down here.
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
 *                         (zstd's fastCover with STORE_TDICT_K and
 *                         STORE_TDICT_D, at most STORE_TDICT_SIZE bytes) with which the entry
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
 *                     rounded up; store.h; builds of several batches
 *                     before 2026-11-30 recorded a bound of it for the
 *                     blocks they joined across batches, from the least
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
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zdict.h>

#include "guard.h"




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

const store_tdict *store_tdict_of(store *s, MDB_txn *txn)
{
    store_tdict *d = s ? __atomic_load_n(&s->td, __ATOMIC_ACQUIRE) : NULL;
    if (d || !s || s->td_bad || !txn)
        return d;
    /* none when s was opened: a writer may have committed one since */
    MDB_val dk = {5, "tdict"}, dv;
    store_tdict *none = NULL;
    if (mdb_get(txn, s->dbi[STORE_DB_META], &dk, &dv) || store_tdict_create(dv.mv_data, dv.mv_size, &d))
        return NULL;
    if (__atomic_compare_exchange_n(&s->td, &none, d, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return d;
    store_tdict_destroy(d); /* another thread loaded it first */
    return none;
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

/* A range of the data file's map (find_range's ctx). */
typedef struct {
    char *lo;
    size_t len;
} map_range;

/* The map of the data file (the largest range: there is one). */
static void find_range(void *ctx, char *lo, size_t len)
{
    map_range *r = ctx;
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
            map_range r = {NULL, 0};
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
    if (s->warm_on) {
        __atomic_store_n(&s->warm_stop, 1, __ATOMIC_RELAXED);
        pthread_join(s->warm_th, NULL);
    }
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

/* The pages a warm maps with one madvise: store_close waits for one at
 * most (about 0.1 ms). */
#define WARM_STEP ((size_t)2 << 20)

static void *warm_main(void *arg)
{
    store *s = arg;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), npages = s->warm_len / pg, held = 0;
    unsigned char *vec = malloc(npages);
    if (!vec || mincore(s->warm_lo, npages * pg, vec) != 0) {
        free(vec);
        return NULL;
    }
    for (size_t i = 0; i < npages; i++)
        held += vec[i] & 1;
    if (held * pg > s->warm_cap)
        npages = 0; /* more held than the cap: left as it is */
    for (size_t i = 0; i < npages;) {
        if (!(vec[i] & 1)) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < npages && (vec[j] & 1) && (j - i) * pg < WARM_STEP)
            j++;
        if (__atomic_load_n(&s->warm_stop, __ATOMIC_RELAXED))
            break;
        if (madvise(s->warm_lo + i * pg, (j - i) * pg, MADV_POPULATE_READ) == 0)
            __atomic_add_fetch(&s->warm_done, (j - i) * pg, __ATOMIC_RELAXED);
        else if (errno == EINVAL)
            break; /* not known to this kernel */
        i = j;
    }
    free(vec);
    return NULL;
}

int store_map_warm(store *s, size_t cap)
{
    map_range r = {NULL, 0};
    struct stat fs;
    if (s->warm_on || !s->readonly)
        return 0;
    map_ranges(s, find_range, &r);
    if (!r.lo || stat(s->datafile, &fs) != 0 || fs.st_size <= 0)
        return 0;
    /* no further than the pages in use (a writer may cut the file back to
     * them when it closes: WRITERS above) */
    uint64_t used = store_size(s);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = (size_t)fs.st_size < r.len ? (size_t)fs.st_size : r.len;
    if (used < len)
        len = (size_t)used;
    len = len / pg * pg;
    /* mincore's vector is a byte a page: a file far larger than cap is
     * not looked at */
    if (!len || len / 4 > cap)
        return 0;
    s->warm_lo = r.lo;
    s->warm_len = len;
    s->warm_cap = cap;
    if (pthread_create(&s->warm_th, NULL, warm_main, s) != 0)
        return 0;
    s->warm_on = 1;
    return 1;
}

size_t store_map_warmed(store *s) { return __atomic_load_n(&s->warm_done, __ATOMIC_RELAXED); }

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
    return store_tpack_add_raw(&r->pb, field, term, len, ndocs, first, recs, n) ? MDB_CORRUPTED : 0;
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

/* ---- strings of file and catalog records ---- */

/* Appends v n, then the n bytes of s, to b (file records). */
int store_str_put(fz_buf *b, const char *s, size_t n)
{
    int rc = fz_buf_varint(b, n);
    return rc ? rc : fz_buf_append(b, s, n);
}

/* Reads what store_str_put wrote: *s points into the value. */
const uint8_t *store_str_get(const uint8_t *p, const uint8_t *end, const char **s, size_t *n)
{
    uint64_t len;
    if (!(p = fz_varint_get(p, end, &len)) || len > (uint64_t)(end - p))
        return NULL;
    *s = (const char *)p;
    *n = (size_t)len;
    return p + len;
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
    f->mtime = store_unzz(x[4]);
    f->indexed_at = store_unzz(x[5]);
    const char *enc;
    size_t n;
    if (!(p = store_str_get(p, end, &enc, &n)))
        return FZ_ECORRUPT;
    if (n >= sizeof f->encoding)
        n = sizeof f->encoding - 1;
    memcpy(f->encoding, enc, n);
    f->encoding[n] = 0;
    if (!(p = store_str_get(p, end, &f->volume, &f->volume_len)))
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
    rc |= fz_buf_varint(&b, store_zz(f->mtime));
    rc |= fz_buf_varint(&b, store_zz(f->indexed_at));
    rc |= store_str_put(&b, f->encoding, strlen(f->encoding));
    rc |= store_str_put(&b, f->volume ? f->volume : "", f->volume ? f->volume_len : 0);
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
    if (!(p = store_str_get(p, end, &c->title, &c->title_len)) || !(p = store_str_get(p, end, &c->place, &c->place_len)) ||
        !(p = fz_varint_get(p, end, &flags)) || flags > 1 || ((flags & 1) && !(p = fz_varint_get(p, end, &y))) ||
        p != end)
        return FZ_ECORRUPT;
    if (flags & 1) {
        int64_t yy = store_unzz(y);
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
    int rc = store_str_put(&b, c->title ? c->title : "", c->title ? c->title_len : 0);
    rc |= store_str_put(&b, c->place ? c->place : "", c->place ? c->place_len : 0);
    rc |= fz_buf_varint(&b, c->has_year ? 1 : 0);
    if (c->has_year)
        rc |= fz_buf_varint(&b, store_zz(c->year));
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

/* ---- dlen ---- */

/* The lengths of chunk when c holds them (its last chunk or one of its
 * slots): the array, its count in *n; else NULL. */
static const uint32_t *dlen_held(const store_dlen_cache *c, uint32_t chunk, size_t *n)
{
    if (c->lens && c->chunk == chunk) {
        *n = c->n;
        return c->lens;
    }
    const store_dlen_slot *sl = c->slots ? &c->slots[chunk & (c->nslots - 1)] : NULL;
    if (sl && sl->lens && sl->chunk == chunk) {
        *n = sl->n;
        return sl->lens;
    }
    return NULL;
}

uint32_t store_dlen_get(store *s, MDB_txn *txn, store_dlen_cache *c, uint32_t id)
{
    uint32_t chunk = id / STORE_DLEN_CHUNK;
    if (!c->lens || c->chunk != chunk) {
        size_t n;
        const uint32_t *held = dlen_held(c, chunk, &n);
        c->chunk = chunk;
        if (held) {
            c->lens = held;
            c->n = n;
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
            if (c->slots)
                c->slots[chunk & (c->nslots - 1)] = (store_dlen_slot){c->lens, chunk, (uint32_t)c->n};
        }
    }
    uint32_t i = id % STORE_DLEN_CHUNK, x;
    if (!c->lens || i >= c->n)
        return 0;
    memcpy(&x, c->lens + i, 4);
    return x;
}

void store_dlen_prefetch(const store_dlen_cache *c, uint32_t id)
{
    size_t n, i = id % STORE_DLEN_CHUNK;
    const uint32_t *lens = dlen_held(c, id / STORE_DLEN_CHUNK, &n);
    if (lens && i < n)
        __builtin_prefetch(lens + i);
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
