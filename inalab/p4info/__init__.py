"""P4Info, indexed once for every user: the P4Runtime server looks objects up by
id (joined to the bmv2 JSON it runs), the controller by name. Each user says which
exceptions a failed lookup or an unusable P4Info raises (:class:`ErrorPolicy`)."""
