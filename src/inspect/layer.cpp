// inspect layer placeholder: removed once the layer has sources.
