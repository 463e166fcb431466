"""consult: public consultations and a cross-sector forum for municipalities and NGOs."""
