-- One cell of an aggregate's CUBE while the disclosure rules run (never returned as such).
CREATE TYPE kkr_aggregate_cell AS (
    k text,                 -- dimension values joined by chr(30); chr(31) = total, chr(29) = no value
    mask integer,           -- bit j-1 set: dimension j is a total
    contributors integer,
    n bigint,               -- number of figures (rows)
    s numeric,              -- sum
    median numeric,
    mn numeric,
    mx numeric,
    top numeric[],          -- absolute per-contributor sums, largest first (as many as the largest n)
    abs_total numeric,      -- sum of the absolute per-contributor sums
    primary_reason text
)
