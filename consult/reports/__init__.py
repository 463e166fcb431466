"""The yearly report on how the cooperation programme was carried out (art. 5a ust. 3): drafted, published, frozen."""
