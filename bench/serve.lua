-- wrk script of bench/serve: GET /search?q=QUERY&fold=ts for each line of
-- $FZ_QUERIES in turn (each wrk thread starts at a different line), and at
-- the end one line "FZ key=value ..." with the figures bench/serve reads.
local queries = {}
for line in io.lines(os.getenv("FZ_QUERIES")) do
    if #line > 0 then
        queries[#queries + 1] = line:gsub("[^%w%-%._~]", function(c)
            return string.format("%%%02X", string.byte(c))
        end)
    end
end
local n = 0
local started = 0

setup = function(thread)
    thread:set("n", started * 97)
    started = started + 1
end

request = function()
    n = n % #queries + 1
    return wrk.format("GET", "/search?q=" .. queries[n] .. "&fold=ts")
end

done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("FZ requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d connect=%d read=%d "
        .. "write=%d timeout=%d\n", summary.requests, summary.duration, latency:percentile(50),
        latency:percentile(99), e.status, e.connect, e.read, e.write, e.timeout))
end
