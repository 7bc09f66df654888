"""chapters/cluster_expansion."""
