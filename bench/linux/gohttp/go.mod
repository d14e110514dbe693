module weft.bench/gohttp

go 1.19
