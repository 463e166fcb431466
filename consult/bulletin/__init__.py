"""The bulletin page: a municipality's month for the municipal bulletin, on A4 and as a PDF."""
