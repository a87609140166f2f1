print("ringdesk CLI")
