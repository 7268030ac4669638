"""Content screening (REGULATION G10): rules, the normalisation of texts, one Aho-Corasick automaton per process
(swapped atomically when the rules change), and the hooks the message path and the text fields call."""
