from fundapp import create_app

app = create_app()
