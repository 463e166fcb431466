"""consult: public consultations and a cross-sector forum for municipalities and NGOs."""

from consult.guards import register_convertors

register_convertors()  # `{name:id}` in every route's path; the routes are built when their modules are imported
