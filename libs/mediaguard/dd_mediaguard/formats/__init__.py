"""One walker per container family. Each reads only headers (bounded counts, bounded
depth), fills a Facts and raises MediaRejected on a structure that lies or is too big."""
